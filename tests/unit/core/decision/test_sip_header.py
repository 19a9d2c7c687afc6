"""`brief_header`: the brief as an `X-Warmline-Brief` SIP header value — one line of
header-safe ASCII, cut at a word boundary, never longer than its limit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warmline.core.decision.model import Brief
from warmline.core.decision.sip_header import (
    BRIEF_HEADER,
    DEFAULT_LIMIT,
    HANDOFF_HEADER,
    brief_header,
    sip_headers,
)
from warmline.testing import ai, customer, make_conversation, make_policy

SUMMARY = ("Sarah Okafor (top10, $48k) wants to cancel (PRO-48213, $129.00, 2026-11-20).\n"
           "AI tried refund_offer (declined).\n"
           "Handed off: cancellation risk. 3rd contact in 7 days.")
_SAFE = {chr(c) for c in range(0x20, 0x7F)} - {'"', "<", ">", "\\", ";"}


def make_brief(summary: str, whisper: str = "Cancellation risk.") -> Brief:
    return Brief(summary=summary, whisper=whisper, intent=None)


def test_the_summary_becomes_one_line_joined_by_bars() -> None:
    value = brief_header(make_brief(SUMMARY))
    assert value == ("Sarah Okafor (top10, $48k) wants to cancel (PRO-48213, $129.00, 2026-11-20)."
                     " | AI tried refund_offer (declined). | Handed off: cancellation risk. "
                     "3rd contact in 7 days.")
    assert BRIEF_HEADER == "X-Warmline-Brief"


def test_the_json_form_of_a_brief_gives_the_same_value() -> None:
    assert brief_header({"summary": SUMMARY}) == brief_header(make_brief(SUMMARY))


def test_a_long_brief_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    value = brief_header(make_brief(SUMMARY), limit=60)
    assert len(value) <= 60
    assert value.endswith("...")
    head = value.removesuffix("...")
    assert SUMMARY.replace("\n", " | ").startswith(head)
    assert SUMMARY.replace("\n", " | ")[len(head)] in " |,."  # the cut fell between words


def test_the_default_limit_fits_common_pbx_header_caps() -> None:
    value = brief_header(make_brief("word " * 200))
    assert len(value) <= DEFAULT_LIMIT == 250


def test_typography_is_spelled_in_ascii_and_sip_delimiters_are_replaced() -> None:
    value = brief_header(make_brief('José said: “cancel” — now… <b>a;b</b> \\ 20% ≥ 3'))
    assert value == "Jose said: 'cancel' - now... (b)a,b(/b) / 20% at least 3"


def test_control_characters_and_line_breaks_never_survive() -> None:
    value = brief_header(make_brief("one\r\ntwo\tthree\x00four\u2028five"))
    assert "\r" not in value
    assert "\n" not in value
    assert "\x00" not in value
    assert value == "one | two threefour | five"  # NUL dropped, tab spaced


def test_a_brief_without_summary_falls_back_to_the_whisper() -> None:
    assert brief_header(make_brief("", whisper="Asked for a person.")) == "Asked for a person."
    assert brief_header({}) == ""


def test_a_single_overlong_word_is_cut_hard() -> None:
    assert brief_header(make_brief("x" * 40), limit=10) == "xxxxxxx..."
    assert brief_header(make_brief("abcdef"), limit=3) == "abc"


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit=0"):
        brief_header(make_brief(SUMMARY), limit=0)


def test_redaction_already_applied_to_the_brief_is_kept() -> None:
    policy = make_policy(redact=["card_number"],
                         triggers=[{"name": "human", "when": 'text.contains("agent")'}])
    from warmline.service.deciding import Decider

    conv = make_conversation(turns=[
        customer("My card 4111 1111 1111 1111 was charged twice, get me an agent"),
        ai("Sorry about that.", 0.9)])
    decision = Decider(policy).decide(conv)
    assert decision.brief is not None
    value = brief_header(decision.brief)
    assert "4111" not in value
    assert value


@given(st.text(), st.integers(min_value=1, max_value=400))
def test_any_text_gives_one_safe_line_within_the_limit(text: str, limit: int) -> None:
    value = brief_header(make_brief(text), limit=limit)
    assert len(value) <= limit
    assert set(value) <= _SAFE
    assert value == value.strip() or len(value) == limit


def test_a_decision_gives_the_brief_and_handoff_headers() -> None:
    decided = {"action": "escalate", "brief": {"summary": SUMMARY}, "handoff_id": "h-9"}
    assert sip_headers(decided) == {BRIEF_HEADER: brief_header({"summary": SUMMARY}),
                                    HANDOFF_HEADER: "h-9"}
    assert sip_headers(decided, limit=20)[BRIEF_HEADER] == brief_header(
        {"summary": SUMMARY}, limit=20)


def test_cold_and_continue_decisions_carry_no_brief_header() -> None:
    assert sip_headers({"action": "escalate", "brief": None}) == {}
    assert sip_headers({"action": "escalate", "handoff_id": "h-1"}) == {HANDOFF_HEADER: "h-1"}
    assert sip_headers({"action": "continue", "brief": {"summary": SUMMARY}}) == {}

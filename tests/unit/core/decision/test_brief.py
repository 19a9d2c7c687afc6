from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.core.decision.engine import decide
from warmline.core.language.intents import IntentPrediction
from warmline.testing import FixedClassifier, ai, customer, make_conversation, make_policy

ALWAYS = [{"name": "handoff", "when": "true", "tags": ["needs-person"]}]


def brief_of(conv, **policy):
    policy.setdefault("triggers", ALWAYS)
    decision = decide(conv, make_policy(**policy))
    assert decision.brief is not None
    return decision.brief


def luhn_complete(prefix: str) -> str:
    digits = [int(c) for c in prefix]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return prefix + str((10 - total % 10) % 10)


def test_details_come_from_the_conversation_and_the_record_fills_gaps() -> None:
    conv = make_conversation(customer={"name": "Ann Lee", "phone": "+15125550143"}, turns=[
        customer("My order number is 55-1902 and I was charged $129 twice on Nov 20."),
        ai("I can see the two charges.", 0.9),
        customer("Call me back at 512 555 0199 tomorrow at 3 pm."),
    ])
    details = brief_of(conv, country="US").details
    assert details["order"] == "55-1902"
    assert details["phone"] == "+15125550199"   # said in the call beats the record
    assert details["name"] == "Ann Lee"          # from the record: never said
    assert details["amounts"] == ["$129.00"]
    assert details["times"] == ["15:00"]
    assert "2026-11-20" in details["dates"]


def test_summary_names_who_what_attempts_and_why() -> None:
    conv = make_conversation(customer={"name": "Sarah Okafor", "segment": "top10",
                                       "deal_value": 48000}, turns=[
        customer("I was charged twice."),
        ai("I can refund it.", 0.9, intent="billing_dispute",
           actions=[{"name": "refund_offer", "status": "declined"}]),
        customer("No. I want to cancel my account."),
    ])
    clf = FixedClassifier({"I want to cancel my account.": IntentPrediction("cancel", 0.97)})
    decision = decide(conv, make_policy(triggers=[
        {"name": "cancellation", "when": 'text.contains("cancel")', "tags": ["churn-risk"]}]),
        classifier=clf)
    assert decision.brief is not None
    lines = decision.brief.summary.splitlines()
    assert lines[0] == "Sarah Okafor (top10, $48k) wants to cancel."
    assert lines[1] == "AI tried refund_offer (declined)."
    assert lines[2] == "Handed off: churn risk."
    assert decision.brief.whisper.startswith("Churn risk, top10 account. Sarah wants to cancel.")
    assert decision.brief.intent is not None
    assert decision.brief.intent.label == "cancel"


def test_repeat_contact_note() -> None:
    conv = make_conversation(customer={"recent_contacts": [
        {"at": "2026-11-21T09:00:00-05:00", "reason": "billing"},
        {"at": "2026-11-23T09:00:00-05:00", "reason": "billing"}]})
    brief = brief_of(conv)
    assert brief.summary.splitlines()[2].endswith("3rd contact in 7 days, last about billing.")
    assert brief.repeat_contact == {"count": 2, "window_days": 7, "last_reason": "billing"}


def test_redacted_card_does_not_resurface_as_an_account_or_in_any_line() -> None:
    conv = make_conversation(customer={"name": "Ann Lee"}, turns=[
        customer("My account number is 4111 1111 1111 1111 and my DOB is March 3rd 1985.")])
    brief = brief_of(conv, redact=["card_number", "date_of_birth", "name"])
    text = json.dumps(brief.to_dict())
    assert "4111" not in text.replace("•••• 1111", "")
    assert "1985" not in text
    assert "Ann" not in text


@settings(max_examples=60, deadline=None)
@given(prefix=st.from_regex(r"4[0-9]{14}", fullmatch=True),
       sep=st.sampled_from([" ", "-", ""]),
       words=st.lists(st.sampled_from(["please", "help", "my", "card", "is", "the", "number",
                                       "refund", "order", "charged", "twice"]), max_size=8))
def test_no_luhn_valid_card_survives_in_any_output(prefix: str, sep: str, words: list[str]
                                                   ) -> None:
    card = luhn_complete(prefix)
    spoken = sep.join(card[i:i + 4] for i in range(0, 16, 4))
    conv = make_conversation(turns=[customer(" ".join([*words, spoken, *words]))])
    brief = brief_of(conv, redact=["card_number"])
    out = json.dumps(brief.to_dict())
    for run in re.findall(r"[0-9][0-9 -]{11,}[0-9]", out):
        assert re.sub(r"[^0-9]", "", run) != card


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(max_size=120), min_size=1, max_size=8))
def test_summary_has_at_most_three_lines_and_whisper_twenty_words(texts: list[str]) -> None:
    turns = [customer(t) if i % 2 == 0 else ai(t, 0.5) for i, t in enumerate(texts)]
    brief = brief_of(make_conversation(turns=turns))
    assert len(brief.summary.splitlines()) <= 3
    assert len(brief.whisper.split()) <= 20

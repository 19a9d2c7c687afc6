"""Every decision quotes the customer with the policy's `redact:` kinds masked
(`warmline.core.engine`, `warmline.core.brief`)."""

from __future__ import annotations

import re

from warmline.core.engine import decide
from warmline.testing import ai, customer, make_conversation, make_policy

CARD = "4111 1111 1111 1111"
SSN = "536-22-1234"
ASK = f"get me a human right now, my card is {CARD} and my ssn is {SSN}"
REDACTING = {"redact": ["card_number", "ssn"], "signals": {"human_requested": True}}


def digits_of(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


def test_the_human_requested_reason_quotes_the_customer_masked() -> None:
    decision = decide(make_conversation(turns=[customer(ASK)]), make_policy(**REDACTING))
    detail = next(r.detail for r in decision.reasons if r.code.value == "human_requested")
    assert "[card •••• 1111]" in detail
    assert "[ssn •••-••" in detail  # clipped at 80 characters, after masking
    assert digits_of(CARD) not in digits_of(detail)
    assert "536" not in detail


def test_a_quote_is_masked_before_it_is_clipped() -> None:
    # The card starts at character 63: clipped at 80 first, 14 of its digits (no longer a
    # valid card) would survive unmasked.
    text = "x" * 30 + " please get me a human now, card " + CARD
    decision = decide(make_conversation(turns=[customer(text)]),
                      make_policy(**REDACTING, triggers=[{"name": "all", "when": "true"}]))
    assert decision.brief is not None
    quoted = [r.detail for r in decision.reasons] + [decision.brief.summary]
    assert not any("4111 1111 1111" in q for q in quoted), quoted


def test_the_brief_masks_what_the_ai_tried() -> None:
    conv = make_conversation(turns=[
        customer("I need a person"),
        ai("Trying your card.", 0.9,
           actions=[{"name": "charge", "status": "failed", "detail": f"card {CARD} declined"}]),
    ])
    decision = decide(conv, make_policy(**REDACTING))
    assert decision.brief is not None
    assert decision.brief.attempted[0]["detail"] == "card [card •••• 1111] declined"

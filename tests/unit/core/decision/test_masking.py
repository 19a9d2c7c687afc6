"""Text is masked where it is written (`core.decision.masking`), and every decision quotes the
customer masked (`warmline.core.decision.engine`, `warmline.core.decision.brief`)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from warmline.core.decision.engine import decide
from warmline.core.decision.masking import Masker, masker_for
from warmline.core.language.intents import IntentPrediction, MaskAware
from warmline.core.language.redaction import as_said, redact
from warmline.testing import FixedClassifier, ai, customer, make_conversation, make_policy

CARD = "4111 1111 1111 1111"
SSN = "536-22-1234"
ASK = f"get me a human right now, my card is {CARD} and my ssn is {SSN}"
REDACTING = {"redact": ["card_number", "ssn"], "signals": {"human_requested": True}}


def luhn_complete(prefix: str) -> str:
    total = 0
    for i, digit in enumerate(int(c) for c in reversed(prefix)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return prefix + str((10 - total % 10) % 10)


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


def test_a_policy_without_redact_masks_nothing_and_costs_no_masker() -> None:
    assert masker_for(make_policy()) is None


def test_a_masked_conversation_keeps_ids_times_labels_and_the_customer_record() -> None:
    masker = masker_for(make_policy(redact=["card_number", "ssn", "phone", "name"]),
                        {"name": "Ann Lee", "phone": "+15125550143"})
    assert masker is not None
    data: dict[str, Any] = {
        "id": "c-1", "channel": "voice", "metadata": {"note": f"card {CARD}"},
        "customer": {"id": "u-1", "name": "Ann Lee", "phone": "+15125550143",
                     "attributes": {"said": f"ssn {SSN}"}},
        "turns": [
            {"id": "t1", "speaker": "customer", "text": f"I'm Ann, card {CARD}",
             "at": "2026-11-24T10:00:00Z"},
            {"speaker": "ai", "text": "ok", "intent": "billing", "confidence": 0.9,
             "actions": [{"name": "lookup", "status": "ok", "detail": f"ssn {SSN}"}],
             "vendor": {"transcript": f"call me at 512 555 0199, ssn {SSN}"}},
        ],
    }
    out = masker.conversation(data)
    assert (out["id"], out["channel"]) == ("c-1", "voice")
    assert out["customer"]["name"] == "Ann Lee"             # callbacks and names need these
    assert out["customer"]["phone"] == "+15125550143"
    assert out["customer"]["attributes"] == {"said": "ssn [ssn •••-••-1234]"}
    assert out["metadata"] == {"note": "card [card •••• 1111]"}
    first, second = out["turns"]
    assert first == {"id": "t1", "speaker": "customer", "text": "I'm [name], card [card •••• 1111]",
                     "at": "2026-11-24T10:00:00Z"}
    assert second["actions"] == [{"name": "lookup", "status": "ok",
                                  "detail": "ssn [ssn •••-••-1234]"}]
    assert second["vendor"] == {"transcript": "call me at [phone •••• 0199], ssn [ssn •••-••-1234]"}
    assert second["intent"] == "billing"
    assert data["turns"][0]["text"] == f"I'm Ann, card {CARD}"  # the input is not changed


def test_clean_turns_come_back_as_the_same_objects() -> None:
    masker = Masker(frozenset({"card_number", "ssn"}))
    turn = {"speaker": "customer", "text": "no numbers here", "at": "2026-11-24T10:00:00Z"}
    rich = {"speaker": "ai", "text": "fine", "actions": [{"name": "x", "detail": "ok"}]}
    assert masker.turn(turn) is turn
    assert masker.turn(rich) is rich


def test_a_stored_decision_is_remasked_without_touching_its_destination() -> None:
    masker = Masker(frozenset({"card_number", "phone", "account"}))
    decision = {
        "action": "escalate", "destination": {"type": "phone", "number": "+15125550100"},
        "reasons": [{"code": "human_requested", "rule": "signals.human_requested",
                     "detail": f'customer asked for a person: "card {CARD}"'}],
        "brief": {"summary": f"said card {CARD}", "whisper": "Asked for a person.",
                  "details": {"account": "12345678", "phone": "[phone •••• 0100]",
                              "dates": ["2026-11-20"]},
                  "attempted": [{"name": "charge", "status": "ok", "detail": CARD}]},
        "say_to_customer": "Connecting you now.",
    }
    out = masker.decision(decision)
    assert out["destination"] == decision["destination"]
    assert out["reasons"][0]["detail"] == 'customer asked for a person: "card [card •••• 1111]"'
    assert out["brief"]["summary"] == "said card [card •••• 1111]"
    assert out["brief"]["details"] == {"account": "[account ••••5678]",
                                       "phone": "[phone •••• 0100]", "dates": ["2026-11-20"]}
    assert out["brief"]["attempted"][0]["detail"] == "[card •••• 1111]"
    assert masker.decision(out) is out  # a second pass changes nothing


def test_an_intent_model_reads_a_masked_card_as_the_digits_it_hides() -> None:
    said = f"my card {CARD} was charged twice"
    masked = redact(said, {"card_number"})
    assert as_said(masked) == "my card 0000 0000 0000 0000 was charged twice"
    inner = FixedClassifier({as_said(masked): IntentPrediction("billing", 0.9)})
    assert MaskAware(inner).predict(masked).label == "billing"
    assert MaskAware(inner).infers_confidence is True


_SEPARATORS = st.sampled_from(["", " ", "-"])


@st.composite
def cards(draw: st.DrawFn) -> str:
    digits = luhn_complete(draw(st.sampled_from(["4", "51", "37", "6011"]))
                           + draw(st.text("0123456789", min_size=11, max_size=11)))
    sep = draw(_SEPARATORS)
    return sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))


@st.composite
def ssns(draw: st.DrawFn) -> str:
    area = draw(st.integers(1, 899).filter(lambda n: n != 666))
    return f"{area:03d}-{draw(st.integers(1, 99)):02d}-{draw(st.integers(1, 9999)):04d}"


@settings(max_examples=150, deadline=None)
@given(card=cards(), ssn=ssns(), before=st.sampled_from(["my card is ", "it's ", "", "(",
                                                          "number: "]))
def test_no_card_or_ssn_survives_masking_anywhere_in_a_conversation(card: str, ssn: str,
                                                                    before: str) -> None:
    masker = Masker(frozenset({"card_number", "ssn"}))
    said = f"{before}{card} and ssn {ssn}."
    out = masker.conversation({
        "id": "c", "meta": [said], "customer": {"attributes": {"x": said}},
        "turns": [{"speaker": "customer", "text": said},
                  {"speaker": "ai", "text": "ok", "actions": [{"name": "a", "detail": said}],
                   "extra": {"deep": [said]}}]})
    flat = repr(out)
    assert digits_of(card) not in re.sub(r"[ -]", "", flat)
    assert ssn not in flat
    assert masker.conversation(out) == out  # masking twice changes nothing


def test_masking_before_deciding_keeps_a_card_holders_intent() -> None:
    said = f"my card {CARD} was charged twice"
    read = as_said(redact(said, {"card_number"}))
    clf = FixedClassifier({said: IntentPrediction("billing", 0.9),
                           read: IntentPrediction("billing", 0.9)})
    policy = make_policy(redact=["card_number"])
    masked = masker_for(policy)
    assert masked is not None
    conv = make_conversation(turns=[customer(masked.text(said))])
    assert decide(conv, policy, classifier=clf).signals["intent"]["label"] == "billing"

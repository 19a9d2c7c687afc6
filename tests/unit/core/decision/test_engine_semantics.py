"""One test per fixed semantic rule of SPEC §3 ("Semantics, fixed so that every
implementation and every test agrees")."""

from __future__ import annotations

from datetime import datetime

import pytest

from warmline.core.decision.engine import decide
from warmline.core.decision.model import Action, ReasonCode
from warmline.core.language.intents import IntentPrediction
from warmline.testing import FixedClassifier, ai, customer, make_conversation, make_policy

QUEUES = {
    "front-desk": {"skills": ["general"]},
    "retention": {"skills": ["retention"]},
    "billing": {"skills": ["billing"]},
    "vip": {"skills": ["vip"]},
    "night": {"skills": ["general"], "hours": "always"},
}


def policy(**sections: object):
    sections.setdefault("queues", QUEUES)
    return make_policy(**sections)


def test_now_is_the_last_turn_time_in_the_policy_zone() -> None:
    # 23:30 UTC is 17:30 in Chicago: open until 18:00 there, though closed in UTC terms.
    p = policy(timezone="America/Chicago", business_hours={"mon-fri": "08:00-18:00"},
               triggers=[{"name": "t", "when": "local.hour == 17 && business_hours"}])
    conv = make_conversation(turns=[customer("hello", at="2026-11-24T23:30:00+00:00")])
    decision = decide(conv, p)
    assert [r.rule for r in decision.reasons] == ["t"]
    assert decision.action is Action.ESCALATE


def test_now_falls_back_to_started_at_when_turns_have_no_time() -> None:
    p = policy(triggers=[{"name": "t", "when": "local.weekday == 7"}])  # a Sunday
    conv = make_conversation(turns=[], started_at="2026-11-29T12:00:00+00:00")
    assert decide(conv, p).reasons[0].rule == "t"


def test_reasons_follow_spec_order_triggers_then_signals_then_low_confidence() -> None:
    p = policy(
        signals={"human_requested": True, "frustration": 0.1, "ai_failures": 1},
        triggers=[{"name": "second", "when": "turns > 0"}, {"name": "first", "when": "true"}])
    conv = make_conversation(turns=[
        customer("THIS IS RIDICULOUS!!! Let me talk to a human, now."),
        ai("I'm sorry, I didn't understand that.", 0.2, fallback=True),
    ])
    codes = [(r.code, r.rule) for r in decide(conv, p).reasons]
    assert codes == [
        (ReasonCode.TRIGGER, "second"), (ReasonCode.TRIGGER, "first"),
        (ReasonCode.HUMAN_REQUESTED, "signals.human_requested"),
        (ReasonCode.FRUSTRATION, "signals.frustration"),
        (ReasonCode.AI_FAILURE_LOOP, "signals.ai_failures"),
        (ReasonCode.LOW_CONFIDENCE, "defaults.threshold"),
    ]


def test_low_confidence_uses_the_question_type_threshold() -> None:
    p = policy(question_types={"faq": {"threshold": 0.85}})
    below = make_conversation(turns=[customer("hours?"), ai("9-5", 0.84, question_type="faq")])
    above = make_conversation(turns=[customer("hours?"), ai("9-5", 0.86, question_type="faq")])
    reason = decide(below, p).reasons[0]
    assert (reason.code, reason.rule, reason.detail) == (
        ReasonCode.LOW_CONFIDENCE, "question_types.faq", "0.84 < 0.85")
    assert decide(above, p).action is Action.CONTINUE


def test_unlisted_question_type_uses_defaults_threshold() -> None:
    p = policy(question_types={"faq": {"threshold": 0.85}})
    conv = make_conversation(turns=[customer("x"), ai("y", 0.59, question_type="other")])
    assert decide(conv, p).reasons[0].rule == "defaults.threshold"
    ok = make_conversation(turns=[customer("x"), ai("y", 0.61, question_type="other")])
    assert decide(ok, p).action is Action.CONTINUE


def test_vertical_floor_lifts_thresholds_and_floor_key_overrides_it() -> None:
    qts = {"scheduling": {"threshold": 0.5}}
    conv = make_conversation(turns=[customer("x"), ai("y", 0.7, question_type="scheduling")])
    assert decide(conv, policy(vertical="healthcare", question_types=qts)).is_handoff
    assert not decide(conv, policy(vertical="healthcare", floor=0.6, question_types=qts)
                      ).is_handoff
    assert not decide(conv, policy(vertical="general", question_types=qts)).is_handoff


def test_no_reason_means_continue_with_no_destination() -> None:
    decision = decide(make_conversation(turns=[customer("hi"), ai("hello", 0.99)]), policy())
    assert decision.action is Action.CONTINUE
    assert decision.destination is None
    assert decision.to_dict()["reasons"] == []


def test_destination_first_matching_trigger_with_a_queue_wins() -> None:
    p = policy(triggers=[{"name": "a", "when": "true"},
                         {"name": "b", "when": "true", "queue": "retention"},
                         {"name": "c", "when": "true", "queue": "billing"}],
               routes=[{"when": "true", "queue": "vip"}])
    assert decide(make_conversation(), p).destination.queue == "retention"


def test_destination_falls_back_to_route_then_question_type_then_default() -> None:
    qts = {"billing": {"threshold": 0.9, "queue": "billing"}}
    conv = make_conversation(turns=[customer("x"), ai("y", 0.5, question_type="billing")])
    with_route = policy(question_types=qts, routes=[{"when": "true", "queue": "vip"}])
    assert decide(conv, with_route).destination.queue == "vip"
    assert decide(conv, policy(question_types=qts)).destination.queue == "billing"
    assert decide(conv, policy(question_types={"billing": {"threshold": 0.9}})
                  ).destination.queue == "front-desk"


def test_route_adds_priority_tags_and_mode_even_when_a_trigger_chose_the_queue() -> None:
    p = policy(triggers=[{"name": "t", "when": "true", "queue": "retention", "priority": 60,
                          "tags": ["churn"]}],
               routes=[{"when": "false", "queue": "billing", "priority": 99},
                       {"when": "true", "queue": "vip", "priority": 80, "tags": ["vip", "churn"],
                        "mode": "cold"}])
    d = decide(make_conversation(), p)
    assert d.destination.queue == "retention"
    assert (d.priority, d.tags, d.mode.value) == (80, ("churn", "vip"), "cold")


def test_priority_is_the_highest_of_matching_triggers_and_route_default_50() -> None:
    p = policy(triggers=[{"name": "a", "when": "true", "priority": 70},
                         {"name": "b", "when": "true", "priority": 90},
                         {"name": "c", "when": "false", "priority": 100}])
    assert decide(make_conversation(), p).priority == 90
    assert decide(make_conversation(), policy(triggers=[{"name": "a", "when": "true"}])
                  ).priority == 50


def test_tags_are_the_union_of_matching_triggers_and_route() -> None:
    p = policy(triggers=[{"name": "a", "when": "true", "tags": ["x", "y"]},
                         {"name": "b", "when": "false", "tags": ["never"]},
                         {"name": "c", "when": "true", "tags": ["y", "z"]}],
               routes=[{"when": "true", "tags": ["r"]}])
    assert decide(make_conversation(), p).tags == ("x", "y", "z", "r")


def test_mode_first_trigger_setting_one_else_route_else_default() -> None:
    triggers = [{"name": "a", "when": "true"}, {"name": "b", "when": "true", "mode": "cold"},
                {"name": "c", "when": "true", "mode": "warm"}]
    assert decide(make_conversation(), policy(triggers=triggers)).mode.value == "cold"
    only_route = policy(triggers=[{"name": "a", "when": "true"}],
                        routes=[{"when": "true", "mode": "cold"}])
    assert decide(make_conversation(), only_route).mode.value == "cold"
    defaults = {"queue": "front-desk", "mode": "cold"}
    assert decide(make_conversation(), policy(triggers=[{"name": "a", "when": "true"}],
                                              defaults=defaults)).mode.value == "cold"


def test_callback_when_the_destination_queue_is_closed_at_now() -> None:
    p = policy(business_hours={"mon-fri": "08:00-18:00"},
               triggers=[{"name": "a", "when": "true"}])
    night = make_conversation(turns=[customer("x", at="2026-11-24T22:00:00+00:00")])
    day = make_conversation(turns=[customer("x", at="2026-11-24T12:00:00+00:00")])
    assert decide(night, p).action is Action.CALLBACK
    assert decide(day, p).action is Action.ESCALATE
    always = policy(business_hours={"mon-fri": "08:00-18:00"},
                    triggers=[{"name": "a", "when": "true", "queue": "night"}])
    assert decide(night, always).action is Action.ESCALATE


def test_hold_only_when_a_server_says_no_rep_is_free() -> None:
    p = policy(triggers=[{"name": "a", "when": "true"}])
    assert decide(make_conversation(), p, queue_has_free_rep=lambda q: False
                  ).action is Action.HOLD
    assert decide(make_conversation(), p, queue_has_free_rep=lambda q: True
                  ).action is Action.ESCALATE


def test_missing_customer_keys_are_null_never_an_error() -> None:
    p = policy(triggers=[
        {"name": "vip", "when": 'customer.segment == "top10"'},
        {"name": "big", "when": "customer.deal_value >= 50000"},
        {"name": "missing", "when": "customer.no_such_key == null"},
        {"name": "attr", "when": 'customer.attributes.plan == "pro"'},
    ])
    decision = decide(make_conversation(), p)
    assert [r.rule for r in decision.reasons] == ["missing"]


def test_intent_and_question_type_come_from_the_last_ai_turn_else_inferred() -> None:
    clf = FixedClassifier({"cancel it": IntentPrediction("cancel", 0.91, "billing")})
    p = policy(triggers=[{"name": "c", "when": 'intent == "cancel"'}])
    given = make_conversation(turns=[customer("cancel it"), ai("ok", 0.99, intent="refund")])
    assert not decide(given, p, classifier=clf).is_handoff
    inferred = make_conversation(turns=[customer("cancel it")])
    d = decide(inferred, p, classifier=clf)
    assert d.reasons[0].detail.endswith("(intent cancel, 0.91, inferred)")
    assert d.signals["question_type"] == {"label": "billing", "confidence": None,
                                          "source": "inferred"}


def test_inference_looks_back_past_a_short_reply_for_the_intent() -> None:
    clf = FixedClassifier({"I want to cancel": IntentPrediction("cancel", 0.9)})
    conv = make_conversation(turns=[customer("I want to cancel"), ai("Are you sure?"),
                                    customer("yes")])
    p = policy(triggers=[{"name": "c", "when": 'intent == "cancel"'}])
    assert decide(conv, p, classifier=clf).is_handoff
    assert clf.calls == ["yes", "I want to cancel"]


def test_repeat_contacts_counts_only_the_window_before_now() -> None:
    contacts = [{"at": "2026-11-20T10:00:00-05:00", "reason": "billing"},
                {"at": "2026-11-10T10:00:00-05:00", "reason": "old"},
                {"at": "2026-11-25T10:00:00-05:00", "reason": "future"}]
    conv = make_conversation(customer={"recent_contacts": contacts})
    p = policy(triggers=[{"name": "r", "when": "repeat_contacts == 1"}])
    d = decide(conv, p)
    assert d.is_handoff
    assert d.brief is not None
    assert d.brief.repeat_contact == {"count": 1, "window_days": 7, "last_reason": "billing"}


def test_decision_is_deterministic() -> None:
    p = policy(triggers=[{"name": "a", "when": "true", "tags": ["b", "a"]}])
    conv = make_conversation(turns=[customer("I need help"), ai("sure", 0.4)])
    assert decide(conv, p).to_dict() == decide(conv, p).to_dict()


@pytest.mark.parametrize(("when", "expected"), [
    ("confidence < 0.5", True), ('intent == "billing_q"', True),
    ('question_type == "billing"', True), ("threshold == 0.6", True),
    ('text.contains("refund")', True), ('transcript.contains("ai: checking")', True),
    ("turns == 2", True), ('customer.segment == "gold"', True), ("business_hours", True),
    ("local.hour == 15", True), ("local.weekday == 2", True), ("human_requested", False),
    ("frustration < 0.5", True), ("ai_failures == 0", True), ("repeat_contacts == 0", True),
    ('channel == "chat"', True),
], ids=str)
def test_every_rule_name_of_the_spec_is_available(when: str, expected: bool) -> None:
    p = policy(triggers=[{"name": "t", "when": when}])
    conv = make_conversation(
        customer={"segment": "gold"},
        turns=[customer("I want a refund", at="2026-11-24T15:00:00+00:00"),
               ai("checking", 0.4, intent="billing_q", question_type="billing",
                  at="2026-11-24T15:00:05+00:00")])
    decision = decide(conv, p)
    fired = any(r.rule == "t" for r in decision.reasons)
    assert fired is expected


def test_started_at_alone_with_naive_fallback_is_rejected() -> None:
    from warmline.core.errors import ConversationError

    conv = make_conversation(turns=[], started_at=None)
    with pytest.raises(ConversationError, match="has no time"):
        decide(conv, policy())
    fallback = datetime.fromisoformat("2026-11-24T10:00:00+00:00")
    assert decide(conv, policy(), now=fallback).action is Action.CONTINUE


def test_no_ai_turn_yet_means_no_low_confidence_even_when_inferred() -> None:
    clf = FixedClassifier({}, default=IntentPrediction("oos", 0.95))
    first = make_conversation(turns=[customer("What time do you open on Saturday?")])
    assert decide(first, policy(), classifier=clf).action is Action.CONTINUE
    replied = make_conversation(turns=[customer("What time do you open on Saturday?"),
                                       ai("We open at nine.")])
    reasons = decide(replied, policy(), classifier=clf).reasons
    assert [r.code for r in reasons] == [ReasonCode.LOW_CONFIDENCE]
    assert reasons[0].detail == "0.05 < 0.60, inferred"

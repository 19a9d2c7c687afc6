"""The bundled universal intent model names intents but must not invent an answer confidence:
its `oos` means "none of my intents", so ordinary replies would all look low-confidence."""

from __future__ import annotations

from warmline.core.decision.engine import decide
from warmline.core.language.intents import IntentPrediction, ScopeOnly
from warmline.testing import FixedClassifier, make_conversation, make_policy

OOS = IntentPrediction("oos", 0.9)


def _plain_conversation():  # type: ignore[no-untyped-def]
    return make_conversation(turns=[
        {"speaker": "customer", "text": "do you deliver on sundays?"},
        {"speaker": "ai", "text": "Yes, we deliver every day of the week."},
        {"speaker": "customer", "text": "No, thanks!"},
    ])


def test_a_scope_only_classifier_infers_no_confidence() -> None:
    classifier = ScopeOnly(FixedClassifier({}, default=OOS))
    decision = decide(_plain_conversation(), make_policy(), classifier=classifier)
    assert decision.action.value == "continue"
    assert decision.reasons == ()


def test_a_scope_model_of_the_bots_own_still_infers_confidence() -> None:
    # A team's own model (`intents: {model: ...}`): oos means the bot cannot answer.
    classifier = FixedClassifier({}, default=OOS)
    decision = decide(_plain_conversation(), make_policy(), classifier=classifier)
    assert [r.code for r in decision.reasons] == ["low_confidence"]


def test_scope_only_keeps_the_intent_for_triggers() -> None:
    cancel = IntentPrediction("cancel", 0.95)
    classifier = ScopeOnly(FixedClassifier({"I want to cancel": cancel}, default=OOS))
    policy = make_policy(triggers=[{"name": "cancellation", "when": 'intent == "cancel"'}])
    conv = make_conversation(turns=[{"speaker": "customer", "text": "I want to cancel"}])
    decision = decide(conv, policy, classifier=classifier)
    assert [r.code for r in decision.reasons] == ["trigger"]

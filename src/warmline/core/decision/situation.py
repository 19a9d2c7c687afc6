"""What the engine knows about a conversation at *now*: the values `when:` rules read (SPEC §3
"Names visible to it"), resolved once per decision, computing only what the policy uses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from warmline.core.conversation import Contact, Conversation, Speaker, Turn
from warmline.core.decision.model import Inference
from warmline.core.errors import ConversationError, Problem
from warmline.core.language.intents import (
    OUT_OF_SCOPE,
    IntentClassifier,
    IntentPrediction,
    MaskAware,
)
from warmline.core.language.model_signals import (
    LanguageIntents,
    frustration_over_turns,
    human_request,
)
from warmline.core.language.scorer import HeadScore, LanguageModel
from warmline.core.language.signals import count_ai_failures, frustration_score, is_human_requested
from warmline.core.policy.model import Policy

#: How many customer turns back to look for a clear intent when the latest says "yes" or "ok".
_INTENT_LOOKBACK = 3


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class RepeatContacts:
    count: int
    window_days: int
    last_reason: str | None = None


@dataclass(slots=True)
class Situation:
    now: datetime
    local: datetime
    intent: Inference
    question_type: Inference
    confidence: Inference
    threshold: float
    threshold_rule: str
    human_requested: bool
    frustration: float
    ai_failures: int
    repeat: RepeatContacts
    business_hours: bool
    last_customer_text: str
    wants: Inference | None = None
    """What the customer wants now, for the brief: the intent, unless the customer spoke after
    the AI's last turn and the classifier clearly reads something else there."""
    context: dict[str, Any] = field(default_factory=dict)
    human_reading: HeadScore | None = None
    """The language model's request for a person (score and words), when it read one."""
    frustration_words: str = ""
    """The words of the angriest turn behind the language model's frustration score."""


def resolve_now(conversation: Conversation, fallback: datetime | None) -> datetime:
    now = conversation.last_time() or fallback
    if now is None:
        raise ConversationError([Problem(
            "has no time: give turns[].at or started_at (ISO 8601 with offset) so business "
            "hours and repeat contacts can be judged", path="$")])
    return now


def _infer(turns: Sequence[Turn], classifier: IntentClassifier | None) -> IntentPrediction | None:
    if classifier is None:
        return None
    customer = [t.text for t in reversed(turns) if t.speaker is Speaker.CUSTOMER and t.text]
    first: IntentPrediction | None = None
    for text in customer[:_INTENT_LOOKBACK]:
        prediction = classifier.predict(text)
        if first is None:
            first = prediction
        if prediction.label != OUT_OF_SCOPE:
            return prediction
    return first


def _understood(
    last_ai: Turn | None, turns: Sequence[Turn], classifier: IntentClassifier | None
) -> tuple[Inference, Inference, Inference]:
    """Intent, question type and confidence: the last AI turn's, else inferred."""
    given_intent = last_ai.intent if last_ai else None
    given_qt = last_ai.question_type if last_ai else None
    given_conf = last_ai.confidence if last_ai else None
    guess = None
    if given_intent is None or given_qt is None or given_conf is None:
        guess = _infer(turns, classifier)
    intent = Inference(given_intent, None, "given")
    if given_intent is None:
        intent = Inference(guess.label, guess.confidence, "inferred") if guess else Inference(
            None, None, "none")
    qt = Inference(given_qt, None, "given")
    if given_qt is None:
        qt = Inference(guess.question_type if guess else None, None,
                       "inferred" if guess and guess.question_type else "none")
    conf = Inference(None, given_conf, "given")
    if given_conf is None:
        # No AI turn yet: there is no reply whose confidence could be low.
        # Nor from a classifier that only names intents (the bundled model, `ScopeOnly`).
        infers = getattr(classifier, "infers_confidence", True)
        conf = (Inference(None, _answerable(guess), "inferred") if guess and last_ai and infers
                else Inference(None, None, "none"))
    return intent, qt, conf


def _answerable(guess: IntentPrediction | None) -> float | None:
    """Inferred confidence that the AI can answer: the classifier's confidence in an in-scope
    intent; for out-of-scope, what is left after the model's belief that it is out of scope."""
    if guess is None:
        return None
    return guess.confidence if guess.label != OUT_OF_SCOPE else 1.0 - guess.confidence


def _latest_customer_block(turns: Sequence[Turn]) -> list[str]:
    """The customer's latest run of turns, whether or not the AI has answered it yet:
    "can I talk to someone?" then "hello?" still asks for a person, and so does a request
    the AI has just replied to without handing off."""
    out: list[str] = []
    for turn in reversed(turns):
        if turn.speaker is Speaker.CUSTOMER:
            out.append(turn.text)
        elif out or turn.speaker is Speaker.REP:
            break
    return out


def count_repeats(
    contacts: Sequence[Contact], now: datetime, window_days: int
) -> RepeatContacts:
    start = now - timedelta(days=window_days)
    recent = sorted((c for c in contacts if start <= c.at < now), key=lambda c: c.at)
    return RepeatContacts(len(recent), window_days, recent[-1].reason if recent else None)


def assess(
    conversation: Conversation,
    policy: Policy,
    *,
    classifier: IntentClassifier | None = None,
    now: datetime | None = None,
    history: Sequence[Contact] = (),
    language: LanguageModel | None = None,
) -> Situation:
    """Resolve every fact the policy's rules and signals need, once. With a ``language``
    model, it reads `human_requested`, `frustration` and whether an inferred intent is
    `cancel`; without one, the phrase rules of `warmline.core.language.signals` do."""
    if language is not None and classifier is not None:
        classifier = LanguageIntents(classifier, language)
    at = resolve_now(conversation, now)
    if policy.redact and classifier is not None:  # text is masked before it is decided on
        classifier = MaskAware(classifier)
    local = at.astimezone(zone(policy.timezone))
    turns = conversation.turns
    last_ai = next((t for t in reversed(turns) if t.speaker is Speaker.AI), None)
    customer_texts = [t.text for t in turns if t.speaker is Speaker.CUSTOMER]
    last_text = customer_texts[-1] if customer_texts else ""
    intent, qt, conf = _understood(last_ai, turns, classifier)
    threshold, threshold_rule = policy.threshold_for(qt.label)
    used = policy.used_names
    signals = policy.signals
    human_reading: HeadScore | None = None
    frustration_words = ""
    wants_human = signals.human_requested or "human_requested" in used
    wants_frustration = signals.frustration is not None or "frustration" in used
    if language is not None:
        if wants_human:
            human_reading = human_request(language, _latest_customer_block(turns))
        human = human_reading is not None
        frustration = 0.0
        if wants_frustration:
            reading = frustration_over_turns(language, customer_texts)
            frustration, frustration_words = reading.score, reading.words
    else:
        human = wants_human and any(
            is_human_requested(text) for text in _latest_customer_block(turns))
        frustration = frustration_score(customer_texts) if wants_frustration else 0.0
    failures = count_ai_failures(turns) if signals.ai_failures is not None or (
        "ai_failures" in used) else 0
    repeat = count_repeats([*conversation.customer.recent_contacts, *history], at,
                           policy.defaults.repeat_window_days)
    situation = Situation(
        now=at, local=local, intent=intent, question_type=qt, confidence=conf,
        threshold=threshold, threshold_rule=threshold_rule, human_requested=human,
        frustration=frustration, ai_failures=failures, repeat=repeat,
        business_hours=policy.business_hours.is_open(local), last_customer_text=last_text,
        human_reading=human_reading, frustration_words=frustration_words)
    situation.wants = _wants(intent, turns, classifier)
    situation.context = _rule_context(situation, conversation, used)
    return situation


_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MAX_SENTENCES = 4
#: How sure the classifier must be before the brief prefers its reading of the customer's
#: latest words over the intent the AI gave for an earlier turn.
_WANTS_MIN_CONFIDENCE = 0.7


def _wants(intent: Inference, turns: Sequence[Turn], classifier: IntentClassifier | None
           ) -> Inference:
    if intent.source != "given" or classifier is None or not turns:
        return intent
    if turns[-1].speaker is not Speaker.CUSTOMER or not turns[-1].text:
        return intent
    best: IntentPrediction | None = None
    for sentence in _SENTENCE.split(turns[-1].text)[:_MAX_SENTENCES]:
        if len(sentence.split()) < 2:
            continue
        guess = classifier.predict(sentence)
        if guess.label != OUT_OF_SCOPE and (best is None or guess.confidence > best.confidence):
            best = guess
    if best is None or best.confidence < _WANTS_MIN_CONFIDENCE:
        return intent
    return Inference(best.label, best.confidence, "inferred")


def _rule_context(s: Situation, conversation: Conversation, used: frozenset[str]
                  ) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "confidence": s.confidence.confidence, "intent": s.intent.label,
        "question_type": s.question_type.label, "threshold": s.threshold,
        "text": s.last_customer_text, "turns": len(conversation.turns),
        "business_hours": s.business_hours,
        "local": {"hour": s.local.hour, "weekday": s.local.isoweekday()},
        "human_requested": s.human_requested, "frustration": s.frustration,
        "ai_failures": s.ai_failures, "repeat_contacts": s.repeat.count,
        "channel": conversation.channel.value if conversation.channel else None,
    }
    if "transcript" in used:
        ctx["transcript"] = "\n".join(f"{t.speaker.value}: {t.text}" for t in conversation.turns)
    if "customer" in used:
        ctx["customer"] = conversation.customer.as_rule_map()
    return ctx

"""`decide`: a conversation and a policy in, a SPEC §2 decision out — deterministic, no IO.

The order of reasons, the destination's precedence, priority, tags and mode follow SPEC §3
"Semantics, fixed so that every implementation and every test agrees"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from warmline.core.conversation import Contact, Conversation
from warmline.core.decision.arms import Arm, assign_arm, experiment_key
from warmline.core.decision.brief import known_names, write_brief
from warmline.core.decision.model import Action, Decision, Reason, ReasonCode
from warmline.core.decision.routing import (
    Staffing,
    choose_destination,
    is_queue_open,
    say_to_customer,
    staffed_action,
)
from warmline.core.decision.situation import Situation, assess
from warmline.core.language.intents import IntentClassifier
from warmline.core.language.redaction import redact
from warmline.core.language.scorer import LanguageModel
from warmline.core.policy.model import Mode, Policy, Route, Trigger


def _trigger_detail(trigger: Trigger, s: Situation) -> str:
    detail = trigger.rule.when.source
    if "intent" in trigger.rule.when.names and s.intent.label is not None:
        conf = s.intent.confidence
        how = f"{conf:.2f}, {s.intent.source}" if conf is not None else s.intent.source
        detail += f" (intent {s.intent.label}, {how})"
    return detail


def find_reasons(policy: Policy, s: Situation, triggers: Sequence[Trigger],
                 names: Sequence[str] = ()) -> list[Reason]:
    """Every reason that fired, in SPEC order: triggers (policy order), human_requested,
    frustration, ai_failure_loop, low_confidence. ``names``: the customer's name parts, masked
    in quoted words when the policy redacts names."""
    reasons = [Reason(ReasonCode.TRIGGER, t.name, _trigger_detail(t, s)) for t in triggers]
    signals = policy.signals
    if signals.human_requested and s.human_requested:
        reading = s.human_reading
        detail = (f"human_requested {reading.score:.2f}: \"{_quote(policy, reading.words, names)}\""
                  if reading is not None else
                  f"customer asked for a person: \"{_quote(policy, s.last_customer_text, names)}\"")
        reasons.append(Reason(ReasonCode.HUMAN_REQUESTED, "signals.human_requested", detail))
    if signals.frustration is not None and s.frustration >= signals.frustration:
        detail = f"score {s.frustration:.2f} ≥ {signals.frustration:.2f}"
        if s.frustration_words:
            detail += f": \"{_quote(policy, s.frustration_words, names)}\""
        reasons.append(Reason(ReasonCode.FRUSTRATION, "signals.frustration", detail))
    if signals.ai_failures is not None and s.ai_failures >= signals.ai_failures:
        reasons.append(Reason(ReasonCode.AI_FAILURE_LOOP, "signals.ai_failures",
                              f"{s.ai_failures} AI fallback replies in a row "
                              f"(limit {signals.ai_failures})"))
    confidence = s.confidence.confidence
    if confidence is not None and confidence < s.threshold:
        source = "" if s.confidence.source == "given" else f", {s.confidence.source}"
        reasons.append(Reason(ReasonCode.LOW_CONFIDENCE, s.threshold_rule,
                              f"{confidence:.2f} < {s.threshold:.2f}{source}"))
    return reasons


def _quote(policy: Policy, words: str, names: Sequence[str]) -> str:
    """The customer's words in a reason's detail, masked by the policy's `redact:`, then
    clipped (a clip could cut a card number short of detection)."""
    return _clip(redact(words, policy.redact, names=names))


def _clip(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _union(groups: Sequence[Sequence[str]]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item, None)
    return tuple(seen)


def decide(
    conversation: Conversation,
    policy: Policy,
    *,
    classifier: IntentClassifier | None = None,
    now: datetime | None = None,
    history: Sequence[Contact] = (),
    queue_has_free_rep: Callable[[str], bool] | None = None,
    language: LanguageModel | None = None,
    queue_staffing: Callable[[str], Staffing] | None = None,
) -> Decision:
    """Decide one turn of a conversation.

    Args:
        classifier: infers intent, question type and confidence where the AI gave none.
        now: used only when the conversation carries no time at all.
        history: the customer's earlier contacts a server knows of (adds to
            `customer.recent_contacts` for `repeat_contacts`).
        queue_has_free_rep: a server's view of staffing; when it says no for an open
            queue, the action is `hold`.
        language: the embedded language model (`warmline.core.language`); without it, the
            signals fall back to phrase rules.
        queue_staffing: a finer view that also knows when nobody with the queue's skills
            is signed in; then the queue's `unstaffed:` choice applies (wins over
            `queue_has_free_rep`).
    """
    s = assess(conversation, policy, classifier=classifier, now=now, history=history,
               language=language)
    ctx = s.context
    matched = [t for t in policy.triggers if t.rule.holds(ctx)]
    reasons = find_reasons(policy, s, matched, known_names(conversation))
    signals = {
        "intent": s.intent.to_dict(), "question_type": s.question_type.to_dict(),
        "confidence": s.confidence.to_dict(), "threshold": s.threshold,
        "frustration": round(s.frustration, 3), "ai_failures": s.ai_failures,
        "human_requested": s.human_requested, "repeat_contacts": s.repeat.count,
        "business_hours": s.business_hours,
    }
    if not reasons:
        return Decision(conversation.id, Action.CONTINUE, signals=signals)
    route: Route | None = next((r for r in policy.routes if r.rule.holds(ctx)), None)
    destination = choose_destination(policy, matched, route, s.question_type.label)
    priorities = [t.priority for t in matched if t.priority is not None]
    if route is not None and route.priority is not None:
        priorities.append(route.priority)
    groups = [t.tags for t in matched] + ([route.tags] if route else [])
    modes = [t.mode for t in matched if t.mode] + ([route.mode] if route and route.mode else [])
    mode: Mode = modes[0] if modes else policy.defaults.mode
    if not modes and policy.experiment is not None:  # a rule's own mode wins (docs/policy.md)
        arm = assign_arm(policy.experiment, experiment_key(conversation))
        mode = Mode.COLD if arm is Arm.COLD else Mode.WARM
        groups.append((arm.tag,))
    action = Action.ESCALATE
    unstaffed, staffed = None, True
    if not is_queue_open(policy, destination.queue, s.local):
        action = Action.CALLBACK
    elif queue_staffing is not None:
        action, destination, unstaffed, staffed = staffed_action(
            policy, destination, s.local, queue_staffing)
    elif queue_has_free_rep is not None and not queue_has_free_rep(destination.queue):
        action = Action.HOLD
    notify = _union([t.notify for t in matched] + ([route.notify] if route else []))
    tags = _union(groups)
    first_tags = matched[0].tags if matched and reasons[0].code is ReasonCode.TRIGGER else ()
    brief = write_brief(conversation, policy, s, reasons, first_tags) if mode is Mode.WARM else None
    return Decision(
        conversation_id=conversation.id, action=action, mode=mode, reasons=tuple(reasons),
        destination=destination,
        priority=max(priorities) if priorities else policy.defaults.priority,
        tags=tags, brief=brief,
        say_to_customer=say_to_customer(policy, destination, action, mode, staffed=staffed),
        notify=notify, signals=signals, unstaffed=unstaffed)

"""The warm-transfer brief: who is calling, what they want, what the AI tried, why it hands
off — in at most three lines, plus a whisper a rep can hear in under eight seconds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from warmline.core.conversation import Conversation, Speaker
from warmline.core.decision import Brief, Inference, Reason, ReasonCode
from warmline.core.policy import Policy
from warmline.core.situation import Situation

WHISPER_MAX_WORDS = 20


def _words(label: str | None) -> str | None:
    if not label or label == "oos":
        return None
    return label.replace("_", " ").replace("-", " ")


def reason_in_words(reason: Reason, s: Situation) -> str:
    """The reason as a rep would say it, not as a rule engine would."""
    match reason.code:
        case ReasonCode.TRIGGER:
            return f"{_words(reason.rule)} rule"
        case ReasonCode.HUMAN_REQUESTED:
            return "asked for a person"
        case ReasonCode.FRUSTRATION:
            return "customer is frustrated"
        case ReasonCode.AI_FAILURE_LOOP:
            return f"AI could not help ({s.ai_failures} failed replies)"
        case _:
            topic = _words(s.question_type.label) or "this question"
            return f"AI unsure about {topic}"


def _money(value: float) -> str:
    if value >= 1000:
        return f"${value / 1000:g}k"
    return f"${value:,.0f}"


def _who(conversation: Conversation, redact: frozenset[str]) -> str:
    customer = conversation.customer
    name = customer.name if customer.name and "name" not in redact else "Customer"
    extras = [customer.segment] if customer.segment else []
    if customer.deal_value is not None:
        extras.append(_money(customer.deal_value))
    return f"{name} ({', '.join(extras)})" if extras else name


def _details(conversation: Conversation, redact: frozenset[str]) -> dict[str, Any]:
    customer = conversation.customer
    out: dict[str, Any] = {}
    if customer.name and "name" not in redact:
        out["name"] = customer.name
    if customer.phone and "phone" not in redact:
        out["phone"] = customer.phone
    if customer.email and "email" not in redact:
        out["email"] = customer.email
    return out


def _attempted(conversation: Conversation) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for turn in conversation.turns:
        if turn.speaker is not Speaker.AI:
            continue
        for action in turn.actions:
            item: dict[str, Any] = {"name": action.name, "status": action.status}
            if action.detail:
                item["detail"] = action.detail
            out.append(item)
    return out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def write_brief(
    conversation: Conversation, policy: Policy, s: Situation, reasons: Sequence[Reason]
) -> Brief:
    """Build the brief from what the conversation says; never invent a detail."""
    redact = policy.redact
    want = _words(s.intent.label)
    attempted = _attempted(conversation)
    first_reason = reason_in_words(reasons[0], s) if reasons else "handoff"
    line1 = f"{_who(conversation, redact)} wants: {want}." if want else (
        f"{_who(conversation, redact)}: \"{_clip(s.last_customer_text, 90)}\"")
    tried = ", ".join(f"{a['name']} ({a['status'] or 'done'})" for a in attempted[-3:])
    line2 = f"AI tried {tried}." if tried else "AI took no action yet."
    repeat = None
    line3 = f"Why now: {first_reason}."
    if s.repeat.count:
        repeat = {"count": s.repeat.count, "window_days": s.repeat.window_days,
                  "last_reason": s.repeat.last_reason}
        about = f", last about {s.repeat.last_reason}" if s.repeat.last_reason else ""
        line3 += (f" {_ordinal(s.repeat.count + 1)} contact in {s.repeat.window_days} days"
                  f"{about}.")
    intent = s.intent if s.intent.label is not None else None
    return Brief(
        summary="\n".join((line1, line2, line3)),
        whisper=_whisper(conversation, first_reason, want, redact),
        intent=Inference(intent.label, intent.confidence, intent.source) if intent else None,
        details=_details(conversation, redact), attempted=tuple(attempted),
        repeat_contact=repeat)


def _whisper(conversation: Conversation, reason: str, want: str | None,
             redact: frozenset[str]) -> str:
    """Most important first: why, who, what they want — at most 20 words."""
    name = conversation.customer.name
    who = name.split()[0] if name and "name" not in redact else "Caller"
    text = reason[0].upper() + reason[1:] + "."
    if want:
        text += f" {who} wants {want}."
    elif who != "Caller":
        text += f" {who} is on the line."
    return " ".join(text.split()[:WHISPER_MAX_WORDS])


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

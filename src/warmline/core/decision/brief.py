"""The warm-transfer brief: who is calling, what they want, what the AI tried, why it hands
off — in at most three lines, plus a whisper a rep can hear in under eight seconds. Only
details said in the conversation (or on the customer record) appear, and the policy's
`redact:` kinds are masked everywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from warmline.core.conversation import Conversation, Speaker, Turn
from warmline.core.decision.model import Brief, Inference, Reason, ReasonCode
from warmline.core.decision.situation import Situation, zone
from warmline.core.language.entities import extract_details, phone_region
from warmline.core.language.redaction import MASK, redact, redact_value
from warmline.core.policy.model import Policy

WHISPER_MAX_WORDS = 20
_SCALARS = ("name", "phone", "email", "account", "order")
#: Scalar details whose mask names the kind ("[account ••••1234]").
_MASKED_SCALARS = frozenset({"name", "phone", "email", "account"})
#: Redact kinds that are never brief details; they are masked before details are read.
_NOT_DETAILS = frozenset({"card_number", "ssn", "date_of_birth", "iban", "address"})
#: Plain words for the bundled model's labels; other labels are read as words.
_WANTS = {
    "cancel": "wants to cancel", "talk-to-human": "wants to talk to a person",
    "billing": "wants help with billing", "scheduling": "wants to book or change an appointment",
    "complaint": "wants to make a complaint",
}


def _words(label: str | None) -> str | None:
    """What the customer wants, as a predicate: "wants to cancel", "is calling about
    integration issue" (a label is a topic, not a verb, unless the bundled model named it)."""
    if not label or label == "oos":
        return None
    return _WANTS.get(label) or f"is calling about {label.replace('_', ' ').replace('-', ' ')}"


def reason_in_words(reason: Reason, s: Situation, tags: Sequence[str] = ()) -> str:
    """The reason as a rep would say it, not as a rule engine would."""
    match reason.code:
        case ReasonCode.TRIGGER:
            label = tags[0] if tags else reason.rule
            return label.replace("-", " ").replace("_", " ")
        case ReasonCode.HUMAN_REQUESTED:
            return "asked for a person"
        case ReasonCode.FRUSTRATION:
            return "customer is frustrated"
        case ReasonCode.AI_FAILURE_LOOP:
            return f"AI could not help ({s.ai_failures} failed replies)"
        case _:
            if not s.question_type.label:
                return "AI unsure of the answer"
            return f"AI unsure ({s.question_type.label.replace('_', ' ')} question)"


def _money(value: float) -> str:
    return f"${value / 1000:g}k" if value >= 1000 else f"${value:,.0f}"


def _attempted(conversation: Conversation, policy: Policy) -> list[Mapping[str, Any]]:
    """The AI's actions, each detail with the policy's `redact:` kinds masked."""
    out: list[Mapping[str, Any]] = []
    for turn in conversation.turns:
        if turn.speaker is not Speaker.AI:
            continue
        for action in turn.actions:
            item: dict[str, Any] = {"name": action.name, "status": action.status}
            if action.detail:
                item["detail"] = redact(action.detail, policy.redact,
                                        names=known_names(conversation))
            out.append(item)
    return out


def brief_details(conversation: Conversation, policy: Policy) -> dict[str, Any]:
    """Details said in the conversation, the customer record filling the gaps, with the
    policy's `redact:` kinds masked."""
    customer = conversation.customer
    region = policy.country or phone_region(customer.phone)
    turns = conversation.turns
    hidden = policy.redact & _NOT_DETAILS
    if hidden:  # a card or a birth date must not resurface as an "account" or a "date"
        turns = tuple(replace(t, text=redact(t.text, hidden, region=region)) for t in turns)
    found = extract_details(turns, zone=zone(policy.timezone), region=region,
                            fallback_time=conversation.last_time()).to_dict()
    for key, masked in _masked_scalars(turns, policy.redact).items():
        found.setdefault(key, masked)
    if customer.name:  # the name the conversation carries wins over a guess from the words
        found["name"] = customer.name
    for key, value in (("phone", customer.phone), ("email", customer.email)):
        if value and key not in found:
            found[key] = value
    for key in _SCALARS:
        if key in found and key in policy.redact and not MASK.fullmatch(str(found[key])):
            found[key] = redact_value(key, str(found[key]))
    return found


def _masked_scalars(turns: Sequence[Turn], kinds: frozenset[str]) -> dict[str, str]:
    """Details already masked in the text (stored turns are masked before they are decided
    on): the last mask of each kind, the customer's before the AI's, as `extract_details`
    picks values."""
    wanted = kinds & _MASKED_SCALARS
    if not wanted:
        return {}
    customer: dict[str, str] = {}
    others: dict[str, str] = {}
    for turn in turns:
        if turn.speaker is Speaker.SYSTEM or "[" not in turn.text:
            continue
        for m in MASK.finditer(turn.text):
            if m[1] in wanted:
                (customer if turn.speaker is Speaker.CUSTOMER else others)[m[1]] = m[0]
    return {**others, **customer}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _who(conversation: Conversation, details: Mapping[str, Any], policy: Policy) -> str:
    customer = conversation.customer
    name = details.get("name") if "name" not in policy.redact else None
    extras = [customer.segment] if customer.segment else []
    if customer.deal_value is not None:
        extras.append(_money(customer.deal_value))
    who = str(name) if name else "Customer"
    return f"{who} ({', '.join(extras)})" if extras else who


def _key_facts(details: Mapping[str, Any]) -> str:
    facts = [f"{k} {details[k]}" for k in ("order", "account") if k in details]
    facts += list(details.get("amounts", ())[:2]) + list(details.get("dates", ())[:2])
    facts += list(details.get("times", ())[:1])
    return ", ".join(facts)


def write_brief(
    conversation: Conversation, policy: Policy, s: Situation, reasons: Sequence[Reason],
    tags: Sequence[str] = (),
) -> Brief:
    """Build the brief from what the conversation says; never invent a detail."""
    details = brief_details(conversation, policy)
    wants = s.wants or s.intent
    want = _words(wants.label)
    attempted = _attempted(conversation, policy)
    why = reason_in_words(reasons[0], s, tags) if reasons else "handoff requested"
    who = _who(conversation, details, policy)
    facts = _key_facts(details)
    quote = _clip(redact(s.last_customer_text, policy.redact,
                         names=known_names(conversation)), 80)  # masked first: see engine
    line1 = f"{who} {want}" if want else f"{who} said: \"{quote}\""
    line1 += f" ({facts})." if facts else "."
    tried = ", ".join(f"{a['name']} ({a['status'] or 'done'})" for a in attempted[-3:])
    line2 = f"AI tried {tried}." if tried else "AI has not taken any action."
    line3 = f"Handed off: {why}."
    repeat = None
    if s.repeat.count:
        repeat = {"count": s.repeat.count, "window_days": s.repeat.window_days,
                  "last_reason": s.repeat.last_reason}
        about = f", last about {s.repeat.last_reason}" if s.repeat.last_reason else ""
        line3 += (f" {_ordinal(s.repeat.count + 1).capitalize()} contact in "
                  f"{s.repeat.window_days} days{about}.")
    intent = wants if wants.label is not None else None
    return Brief(
        summary="\n".join((line1, line2, line3)),
        whisper=_whisper(conversation, policy, why, want, attempted),
        intent=Inference(intent.label, intent.confidence, intent.source) if intent else None,
        details=details, attempted=tuple(attempted), repeat_contact=repeat)


def _whisper(conversation: Conversation, policy: Policy, why: str, want: str | None,
             attempted: Sequence[Mapping[str, Any]]) -> str:
    """Most important first: why, who, what they want, the last thing tried — ≤ 20 words
    (under 8 seconds at a normal speaking rate), no redacted PII."""
    customer = conversation.customer
    name = customer.name if customer.name and "name" not in policy.redact else None
    text = why[0].upper() + why[1:]
    if customer.segment:
        text += f", {customer.segment} account"
    text += "."
    who = name.split()[0] if name else "Caller"
    if want:
        text += f" {who} {want}."
    if attempted:
        last = attempted[-1]
        text += f" Tried {str(last['name']).replace('_', ' ')}: {last['status'] or 'done'}."
    words = text.split()
    return " ".join(words[:WHISPER_MAX_WORDS])


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def known_names(conversation: Conversation) -> tuple[str, ...]:
    """The customer's name parts, so redaction can find them in free text."""
    name = conversation.customer.name
    return tuple(part for part in (name or "").split() if len(part) > 1)


def clean_transcript(conversation: Conversation, policy: Policy) -> str:
    """The whole conversation, one `speaker: text` line per turn, with the policy's `redact:`
    kinds masked — what the desk shows and what may leave the process."""
    names = known_names(conversation)
    return "\n".join(
        f"{t.speaker.value}: {redact(t.text, policy.redact, names=names)}"
        for t in conversation.turns)

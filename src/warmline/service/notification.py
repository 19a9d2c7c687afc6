"""The bodies of outbox messages: Standard Webhooks envelopes `{"type", "timestamp", "data"}`
for handoff events and for the CRM note. Built once, in the event's transaction, so every
retry sends the same body. The brief inside is the decision's (redacted by the policy)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from warmline.core.handoff import Handoff
from warmline.core.policy.notify import CRM_NOTE

#: Longest CRM note body (most CRMs cap notes; HubSpot's is 65,536 characters).
NOTE_CHARS = 4000


def desk_link(public_url: str | None, handoff_id: str) -> str | None:
    """Where a person opens the handoff: its card on the desk."""
    return f"{public_url.rstrip('/')}/desk#card-{handoff_id}" if public_url else None


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _brief(decision: Mapping[str, Any]) -> dict[str, Any] | None:
    brief = decision.get("brief")
    if not isinstance(brief, Mapping):
        return None
    return {key: brief.get(key) for key in
            ("summary", "whisper", "details", "intent", "attempted", "repeat_contact")}


def handoff_data(handoff: Handoff, *, customer_id: str | None, desk_url: str | None
                 ) -> dict[str, Any]:
    """The `data` of a handoff event (documented in docs/integrations/webhooks.md)."""
    decision = handoff.decision
    return {
        "handoff_id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "customer_id": customer_id,
        "status": handoff.status.value,
        "action": decision.get("action"),
        "queue": handoff.queue,
        "destination": decision.get("destination"),
        "priority": handoff.priority,
        "mode": handoff.mode,
        "reasons": list(decision.get("reasons") or []),
        "tags": list(decision.get("tags") or []),
        "brief": _brief(decision),
        "rep_id": handoff.rep_id,
        "outcome": handoff.outcome,
        "note": handoff.note,
        "csat": handoff.csat,
        "created_at": _time(handoff.created_at),
        "accepted_at": _time(handoff.accepted_at),
        "completed_at": _time(handoff.completed_at),
        "desk_url": desk_url,
    }


def handoff_message(kind: str, handoff: Handoff, at: datetime, *, customer_id: str | None,
                    desk_url: str | None) -> dict[str, Any]:
    return {"type": kind, "timestamp": _time(at),
            "data": handoff_data(handoff, customer_id=customer_id, desk_url=desk_url)}


def _reason_words(reasons: list[Any]) -> str:
    words = []
    for reason in reasons:
        if isinstance(reason, Mapping):
            rule, code = reason.get("rule"), reason.get("code")
            words.append(f"{rule} ({code})" if rule and code == "trigger" else str(code))
    return ", ".join(words) or "none given"


def crm_note(handoff: Handoff, at: datetime, *, customer_id: str | None,
             desk_url: str | None) -> dict[str, Any]:
    """A note for the customer's CRM record: `subject` and plain-text `body` ready to
    store, plus the structured brief for CRMs that map fields."""
    data = handoff_data(handoff, customer_id=customer_id, desk_url=desk_url)
    brief = data["brief"] or {}
    details = brief.get("details") or {}
    lines = [str(brief.get("summary") or "No brief (cold transfer).")]
    if details:
        lines.append("Details: " + "; ".join(
            f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in details.items()))
    lines.append(f"Why: {_reason_words(data['reasons'])}.")
    if data["tags"]:
        lines.append("Tags: " + ", ".join(map(str, data["tags"])) + ".")
    if desk_url:
        lines.append(f"Desk: {desk_url}")
    subject = (f"{handoff.mode.capitalize()} handoff to {handoff.queue} "
               f"(priority {handoff.priority})")
    note = {"subject": subject, "body": "\n".join(lines)[:NOTE_CHARS]}
    return {"type": CRM_NOTE, "timestamp": _time(at),
            "data": {key: data[key] for key in (
                "handoff_id", "conversation_id", "customer_id", "queue", "priority", "mode",
                "reasons", "tags", "brief", "desk_url", "created_at")} | {"note": note}}

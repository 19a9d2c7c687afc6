"""The decision of SPEC §2 and its JSON form, with keys in the SPEC's order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from warmline.core.policy.model import Mode


class Action(StrEnum):
    CONTINUE = "continue"
    ESCALATE = "escalate"
    HOLD = "hold"
    CALLBACK = "callback"


class ReasonCode(StrEnum):
    TRIGGER = "trigger"
    HUMAN_REQUESTED = "human_requested"
    FRUSTRATION = "frustration"
    AI_FAILURE_LOOP = "ai_failure_loop"
    LOW_CONFIDENCE = "low_confidence"


class DestinationType(StrEnum):
    QUEUE = "queue"
    AGENT = "agent"
    PHONE = "phone"


@dataclass(frozen=True, slots=True)
class Reason:
    code: ReasonCode
    rule: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "rule": self.rule, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Destination:
    type: DestinationType
    queue: str
    skills: tuple[str, ...] = ()
    agent: str | None = None
    number: str | None = None
    sip: str | None = None
    extension: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type.value, "queue": self.queue}
        if self.type is DestinationType.AGENT:
            out["agent"] = self.agent
        else:
            out["skills"] = list(self.skills)
        if self.number:
            out["number"] = self.number
        if self.extension:
            out["extension"] = self.extension
        if self.sip:
            out["sip"] = self.sip
        return out


@dataclass(frozen=True, slots=True)
class Inference:
    """A value the decision relied on, and whether the AI gave it or Warmline inferred it."""

    label: str | None
    confidence: float | None
    source: str  # "given" | "inferred"

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label,
                "confidence": None if self.confidence is None else round(self.confidence, 4),
                "source": self.source}


@dataclass(frozen=True, slots=True)
class Brief:
    """What the rep reads before pickup (SPEC §2 `brief`)."""

    summary: str
    whisper: str
    intent: Inference | None
    details: Mapping[str, Any] = field(default_factory=dict)
    attempted: tuple[Mapping[str, Any], ...] = ()
    repeat_contact: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "whisper": self.whisper,
            "intent": None if self.intent is None else self.intent.to_dict(),
            "details": dict(self.details),
            "attempted": [dict(a) for a in self.attempted],
            "repeat_contact": None if self.repeat_contact is None else dict(self.repeat_contact),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    conversation_id: str
    action: Action
    mode: Mode | None = None
    reasons: tuple[Reason, ...] = ()
    destination: Destination | None = None
    priority: int | None = None
    tags: tuple[str, ...] = ()
    brief: Brief | None = None
    say_to_customer: str | None = None
    handoff_id: str | None = None
    latency_ms: float = 0.0
    notify: tuple[str, ...] = ()
    """Notify targets the matching rules name (delivered by a server, not by the engine)."""
    signals: Mapping[str, Any] = field(default_factory=dict)
    """What the engine saw: intent, question type, confidence (each with its source), the
    threshold applied, frustration score, AI failures, repeat contacts."""
    unstaffed: Mapping[str, str] | None = None
    """Set when nobody with the chosen queue's skills was signed in: that `queue`, its
    `unstaffed:` choice (`then`: hold | callback | queue) and `to`, the queue it moved to."""

    policy_version: int | None = None
    """The tenant's policy version this was decided under (None: a policy file, no
    versions, as `warmline decide` uses)."""

    @property
    def is_handoff(self) -> bool:
        return self.action is not Action.CONTINUE

    def to_dict(self) -> dict[str, Any]:
        """SPEC §2 JSON; keys that do not apply (e.g. `brief` on continue) are left out."""
        out: dict[str, Any] = {"conversation_id": self.conversation_id,
                               "action": self.action.value}
        if self.is_handoff:
            out["mode"] = self.mode.value if self.mode else None
            out["reasons"] = [r.to_dict() for r in self.reasons]
            out["destination"] = self.destination.to_dict() if self.destination else None
            out["priority"] = self.priority
            out["tags"] = list(self.tags)
            if self.brief is not None:
                out["brief"] = self.brief.to_dict()
            out["say_to_customer"] = self.say_to_customer
            if self.unstaffed is not None:
                out["unstaffed"] = dict(self.unstaffed)
            if self.handoff_id is not None:
                out["handoff_id"] = self.handoff_id
            if self.notify:
                out["notify"] = list(self.notify)
        else:
            out["reasons"] = []
        out["signals"] = dict(self.signals)
        out["latency_ms"] = round(self.latency_ms, 3)
        if self.policy_version is not None:
            out["policy_version"] = self.policy_version
        return out

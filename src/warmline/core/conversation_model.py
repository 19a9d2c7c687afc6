"""The conversation of SPEC §1 as typed, immutable values (parsed by
`warmline.core.conversation`, which re-exports them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Speaker(StrEnum):
    CUSTOMER = "customer"
    AI = "ai"
    REP = "rep"
    SYSTEM = "system"


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Action:
    """Something the AI did during a turn (a tool call), with its result."""

    name: str
    status: str | None = None
    detail: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Turn:
    speaker: Speaker
    text: str
    at: datetime | None = None
    id: str | None = None
    confidence: float | None = None
    intent: str | None = None
    question_type: str | None = None
    actions: tuple[Action, ...] = ()
    fallback: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Contact:
    """An earlier contact of the customer, for stateless repeat-contact counting."""

    at: datetime
    reason: str | None = None
    handoff: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Customer:
    id: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    segment: str | None = None
    deal_value: float | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    recent_contacts: tuple[Contact, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_rule_map(self) -> dict[str, Any]:
        """The `customer` value that `when:` rules see: every known key plus unknown ones."""
        data: dict[str, Any] = dict(self.extra)
        data.update(
            id=self.id,
            name=self.name,
            phone=self.phone,
            email=self.email,
            segment=self.segment,
            deal_value=self.deal_value,
            attributes=dict(self.attributes),
            recent_contacts=[
                {"at": c.at.isoformat(), "reason": c.reason, "handoff": c.handoff}
                for c in self.recent_contacts
            ],
        )
        return data


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    turns: tuple[Turn, ...] = ()
    channel: Channel | None = None
    started_at: datetime | None = None
    customer: Customer = field(default_factory=Customer)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def last_time(self) -> datetime | None:
        """SPEC §3 *now*: the last turn's `at`, else `started_at`."""
        for turn in reversed(self.turns):
            if turn.at is not None:
                return turn.at
        return self.started_at

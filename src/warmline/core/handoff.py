"""Handoffs, reps and tenants as plain values, and the pure rules of who gets what:
the next handoff is the highest priority, then the longest waiting; the rep is the
longest-idle available rep with all the queue's skills and a free slot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class HandoffStatus(StrEnum):
    QUEUED = "queued"            # waiting for a rep (also: hold)
    OFFERED = "offered"          # offered to one rep, who may accept or decline
    ACCEPTED = "accepted"        # a rep has the customer
    COMPLETED = "completed"
    HANDED_BACK = "handed_back"  # the rep returned the conversation to the AI
    CALLBACK = "callback"        # the queue was closed: call the customer back
    ABANDONED = "abandoned"      # the customer left before pickup
    FAILED = "failed"            # the transfer failed (declined by all, no answer, error)


OPEN_STATUSES = frozenset({HandoffStatus.QUEUED, HandoffStatus.OFFERED, HandoffStatus.CALLBACK})
LIVE_STATUSES = OPEN_STATUSES | {HandoffStatus.ACCEPTED}


class RepStatus(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"
    OFFLINE = "offline"


class CallbackResult(StrEnum):
    """What came of calling a customer back; stored as the outcome `callback_<value>`."""

    DONE = "done"
    NO_ANSWER = "no_answer"
    RESCHEDULED = "rescheduled"


class Role(StrEnum):
    REP = "rep"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    policy: str | None = None
    """The tenant's policy: a path or a bundled name; None means the server's default."""


@dataclass(frozen=True, slots=True)
class Rep:
    id: str
    tenant_id: str
    name: str
    skills: tuple[str, ...] = ()
    capacity: int = 1
    active: int = 0
    """Handoffs the rep holds now (offered or accepted)."""
    status: RepStatus = RepStatus.OFFLINE
    timezone: str = "UTC"
    idle_since: datetime | None = None
    role: Role = Role.REP
    missed_offers: int = 0
    """Offers in a row that rang out unanswered (ring-no-answer); accepting resets it."""

    @property
    def is_signed_in(self) -> bool:
        """At the desk and taking work (available or busy), not away or offline."""
        return self.status in (RepStatus.AVAILABLE, RepStatus.BUSY)

    @property
    def has_free_slot(self) -> bool:
        return self.status is RepStatus.AVAILABLE and self.active < self.capacity


@dataclass(frozen=True, slots=True)
class Handoff:
    id: str
    tenant_id: str
    conversation_id: str
    queue: str
    status: HandoffStatus
    priority: int
    mode: str
    created_at: datetime
    decision: Mapping[str, Any] = field(default_factory=dict)
    """The SPEC §2 decision that created it (reasons, destination, tags, brief ...)."""
    rep_id: str | None = None
    offered_at: datetime | None = None
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    outcome: str | None = None
    csat: int | None = None
    ai_was_wrong: bool | None = None
    note: str | None = None
    """The rep's hand-back note, or why it failed."""
    customer_key: str | None = None
    """Customer id, phone or email: what repeat contacts are counted by."""
    overflowed_from: str | None = None
    declined_by: tuple[str, ...] = ()


def has_skills(rep: Rep, needed: Iterable[str]) -> bool:
    return set(needed) <= set(rep.skills)


def pick_rep(reps: Sequence[Rep], skills: Iterable[str], *, exclude: Iterable[str] = ()
             ) -> Rep | None:
    """The longest-idle available rep with every skill and a free slot, or None."""
    needed = tuple(skills)
    skip = set(exclude)
    candidates = [r for r in reps
                  if r.has_free_slot and r.id not in skip and has_skills(r, needed)]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (
        r.idle_since.timestamp() if r.idle_since else float("-inf"), r.id))


def queue_order(handoff: Handoff) -> tuple[int, datetime, str]:
    """Sort key: highest priority first, then longest waiting."""
    return (-handoff.priority, handoff.created_at, handoff.id)

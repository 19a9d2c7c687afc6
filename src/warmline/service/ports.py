"""Ports the use cases call, implemented by adapters (named technology + port)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from warmline.core.conversation import Contact
from warmline.core.decision import Brief
from warmline.core.handoff import Handoff, HandoffStatus, Rep, Role, Tenant
from warmline.core.metrics import CustomerContact


class Summarizer(Protocol):
    """Writes the brief's summary as prose. Returns None when it cannot (timeout, error):
    the caller then keeps the deterministic summary."""

    def summarize(self, transcript: str, brief: Brief) -> str | None: ...


# --- storage -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    tenant_id: str
    prefix: str
    """The first characters of the key, shown in listings; the key itself is never stored."""
    key_hash: str
    created_at: datetime
    revoked: bool = False


@dataclass(frozen=True, slots=True)
class User:
    """A desk login: a rep, supervisor or admin of one tenant."""

    id: str
    tenant_id: str
    username: str
    password_hash: str
    role: Role
    rep_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoredConversation:
    tenant_id: str
    id: str
    data: Mapping[str, Any]
    """The SPEC §1 conversation as JSON (customer, channel, started_at, turns ...)."""
    customer_key: str | None
    handoff_id: str | None = None
    """The handoff this conversation escalated to, once it has (it never escalates twice)."""
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    tenant_id: str
    type: str
    """e.g. handoff.created, handoff.offered, handoff.accepted, handoff.completed,
    handoff.callback_scheduled, handoff.failed, turn.appended, rep.updated"""
    payload: Mapping[str, Any]
    created_at: datetime


class Tx(Protocol):
    """One transaction. Every method is scoped by tenant: one tenant never sees another's
    rows. Conditional updates return False when the row was not in an expected state (the
    caller turns that into 409 Conflict) — the database's own locking decides races."""

    # tenants, keys, users
    def create_tenant(self, tenant: Tenant) -> None: ...
    def get_tenant(self, tenant_id: str) -> Tenant | None: ...
    def find_tenant(self, name: str) -> Tenant | None: ...
    def list_tenants(self) -> list[Tenant]: ...
    def add_api_key(self, key: ApiKey) -> None: ...
    def find_api_key(self, key_hash: str) -> ApiKey | None: ...
    def add_user(self, user: User) -> None: ...
    def find_user(self, tenant_id: str, username: str) -> User | None: ...

    # conversations and turns
    def get_conversation(self, tenant_id: str, conversation_id: str
                         ) -> StoredConversation | None: ...
    def save_conversation(self, conversation: StoredConversation) -> None: ...
    def find_decision(self, tenant_id: str, conversation_id: str, turn_id: str
                      ) -> Mapping[str, Any] | None: ...
    def save_decision(self, tenant_id: str, conversation_id: str, turn_id: str,
                      decision: Mapping[str, Any], at: datetime) -> None: ...
    def recent_contacts(self, tenant_id: str, customer_key: str, since: datetime,
                        before: datetime, exclude_conversation: str) -> list[Contact]: ...

    # handoffs
    def add_handoff(self, handoff: Handoff) -> None: ...
    def get_handoff(self, tenant_id: str, handoff_id: str) -> Handoff | None: ...
    def list_handoffs(self, tenant_id: str, *, statuses: Collection[HandoffStatus] = (),
                      queue: str | None = None, limit: int = 100) -> list[Handoff]: ...
    def update_handoff(self, handoff: Handoff, *, expect: Collection[HandoffStatus]
                       ) -> bool: ...
    def count_ahead(self, tenant_id: str, queue: str, priority: int, created_at: datetime,
                    exclude_id: str) -> int:
        """Queued handoffs of `queue` that go before one with this priority and creation time
        (higher priority, or the same priority and created no later)."""
        ...
    def handle_seconds(self, tenant_id: str, queue: str, limit: int = 200) -> list[float]:
        """accepted -> completed durations of the queue's latest completed handoffs."""
        ...
    def next_queued(self, tenant_id: str, queue: str) -> Handoff | None:
        """The queue's next handoff (highest priority, then oldest), locked for this
        transaction where the database can (FOR UPDATE SKIP LOCKED)."""
        ...

    # metrics: windows are half-open, since <= t < until
    def handoffs_between(self, tenant_id: str, since: datetime, until: datetime,
                         limit: int = 100_000) -> list[Handoff]:
        """Handoffs created in the window, oldest first (then by id), at most `limit`."""
        ...
    def conversations_between(self, tenant_id: str, since: datetime, until: datetime
                              ) -> int:
        """Conversations decided in the window: those whose last decision (`updated_at`)
        falls in it, plus those with a handoff created in it that were decided again after
        `until` — so every conversation escalated in the window is counted."""
        ...
    def contacts_between(self, tenant_id: str, since: datetime, until: datetime,
                         customer_keys: Collection[str]) -> list[CustomerContact]:
        """The conversations of these customers that started in the window (their
        `started_at`, else their last update), oldest first."""
        ...

    # reps
    def get_rep(self, tenant_id: str, rep_id: str) -> Rep | None: ...
    def save_rep(self, rep: Rep) -> None: ...
    def list_reps(self, tenant_id: str) -> list[Rep]: ...
    def take_slot(self, tenant_id: str, rep_id: str) -> bool:
        """active += 1 only while active < capacity and status is available."""
        ...
    def release_slot(self, tenant_id: str, rep_id: str, at: datetime) -> None: ...

    # events: the desk stream and the outbox for webhooks, written in the same transaction
    def add_event(self, tenant_id: str, type: str, payload: Mapping[str, Any], at: datetime
                  ) -> int: ...
    def events_after(self, tenant_id: str, after_id: int, limit: int = 100) -> list[Event]: ...
    def latest_event_id(self, tenant_id: str) -> int:
        """The newest event's id (0 when none): where a new listener starts."""
        ...


class Store(Protocol):
    def transaction(self) -> AbstractContextManager[Tx]:
        """A transaction that commits on success and rolls back on error. On SQLite it
        begins IMMEDIATE (one writer at a time), so read-then-write never deadlocks."""
        ...

    def read(self) -> AbstractContextManager[Tx]:
        """A transaction for reads only (GETs, event streams, listings): it never waits for
        the writer on SQLite. Never write inside it."""
        ...

    def close(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...

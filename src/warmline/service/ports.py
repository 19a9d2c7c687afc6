"""Ports the use cases call, implemented by adapters (named technology + port)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from warmline.core.analytics.metrics import CustomerContact
from warmline.core.conversation import Contact
from warmline.core.decision.model import Brief
from warmline.core.handoff import Handoff, HandoffStatus, Rep, Role, Tenant
from warmline.core.policy.model import NotifyTarget


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
    session_version: int = 0
    """Desk sessions carry the version they were issued at; bumping it (logout, password or
    role change) ends every session of this user at once, in every worker."""


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
    """e.g. handoff.created, handoff.offered, handoff.accepted, handoff.missed (an offer rang
    out), handoff.completed, handoff.callback_scheduled, handoff.failed, turn.appended,
    rep.updated"""
    payload: Mapping[str, Any]
    created_at: datetime


class OutboxStatus(StrEnum):
    PENDING = "pending"      # waiting for its first or next attempt (or being delivered)
    DELIVERED = "delivered"  # the receiver answered 2xx
    DEAD = "dead"            # retried for the whole retry window: a dead letter


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One notification to one notify target, written in the transaction of its event and
    kept until it is delivered or dead-lettered (see `warmline.service.outbox`)."""

    id: int
    tenant_id: str
    message_id: str
    """Stable across retries: the `webhook-id` receivers deduplicate on."""
    target: str
    """The notify target's name in the tenant's policy (its URL and secret stay there)."""
    type: str
    """handoff.created, handoff.accepted, ... or crm.note."""
    payload: Mapping[str, Any]
    created_at: datetime
    due_at: datetime
    """When the next attempt may start (while claimed: when the claim lapses)."""
    attempts: int = 0
    """Failed attempts so far."""
    status: OutboxStatus = OutboxStatus.PENDING
    last_error: str | None = None
    delivered_at: datetime | None = None
    claim: str | None = None
    """The token of the worker holding it; a finish with another token changes nothing."""


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int = 0
    due: int = 0
    """Pending messages whose next attempt is due now (the backlog a worker has yet to try)."""
    retrying: int = 0
    """Pending messages that failed at least once."""
    dead: int = 0
    delivered: int = 0
    oldest_pending_at: datetime | None = None


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
    def list_api_keys(self, tenant_id: str | None) -> list[ApiKey]:
        """A tenant's keys (None: every tenant's), oldest first."""
        ...
    def revoke_api_key(self, tenant_id: str, key_id: str) -> bool:
        """Mark the key revoked; False when the tenant has no such key."""
        ...
    def add_user(self, user: User) -> None: ...
    def find_user(self, tenant_id: str, username: str) -> User | None: ...
    def get_user(self, tenant_id: str, user_id: str) -> User | None: ...
    def list_users(self, tenant_id: str) -> list[User]:
        """A tenant's desk logins by username."""
        ...
    def update_user(self, user: User) -> bool:
        """Store the user's password hash, role, rep and session version; False when gone."""
        ...
    def remove_user(self, tenant_id: str, user_id: str) -> bool: ...

    # conversations and turns
    def lock_conversation(self, tenant_id: str, conversation_id: str) -> None:
        """Hold this conversation until the transaction ends: a second writer of the same
        conversation waits, then reads what the first committed (no lost turns)."""
    def get_conversation(self, tenant_id: str, conversation_id: str
                         ) -> StoredConversation | None: ...
    def load_turn_state(self, tenant_id: str, conversation_id: str, turn_id: str | None
                        ) -> tuple[StoredConversation | None, Mapping[str, Any] | None]:
        """The conversation and the decision already made for `turn_id` (None for either
        when there is none), in one query where the store can."""
    def save_turn_state(self, conversation: StoredConversation, turn_id: str | None,
                        decision: Mapping[str, Any], at: datetime) -> None:
        """`save_conversation`, then `save_decision` when `turn_id` is given, in one
        statement where the store can."""
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
                      queue: str | None = None, created_before: datetime | None = None,
                      limit: int = 100) -> list[Handoff]: ...
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
    def save_rep(self, rep: Rep) -> None:
        """Insert a rep, or update its settings; an existing rep's `active` and
        `idle_since` are left alone (they move only through take_slot / release_slot)."""
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

    # outbox: notifications written with their event, delivered by `OutboxService`
    def add_outbox(self, tenant_id: str, *, message_id: str, target: str, type: str,
                   payload: Mapping[str, Any], at: datetime) -> int: ...
    def claim_outbox(self, now: datetime, *, claim: str, until: datetime, limit: int
                     ) -> list[OutboxMessage]:
        """Pending messages of every tenant due at `now`, oldest due first, claimed: their
        `due_at` becomes `until` and their `claim` the token, so no other worker takes them
        before the claim lapses. Rows other transactions hold are skipped (FOR UPDATE SKIP
        LOCKED on PostgreSQL; SQLite has one writer). For the delivery worker only."""
        ...
    def next_outbox_due(self) -> datetime | None:
        """When the earliest pending message of any tenant is due (None: nothing pending).
        A cheap read, so idle workers need not take SQLite's write lock."""
        ...
    def finish_outbox(self, message_id: int, claim: str, *, at: datetime) -> bool:
        """Delivered. False when the claim lapsed and another worker took the message."""
        ...
    def retry_outbox(self, message_id: int, claim: str, *, due_at: datetime, error: str
                     ) -> bool:
        """A failed attempt: attempts += 1, next attempt at `due_at`, claim released."""
        ...
    def dead_letter_outbox(self, message_id: int, claim: str, *, error: str) -> bool:
        """The last failed attempt: attempts += 1, status dead, kept for inspection."""
        ...
    def list_outbox(self, tenant_id: str, *, status: OutboxStatus | None = None,
                    limit: int = 100) -> list[OutboxMessage]:
        """A tenant's messages, oldest first."""
        ...
    def requeue_outbox(self, tenant_id: str, message_ids: Collection[int], *, at: datetime
                       ) -> int:
        """Dead letters back to pending, due at `at`, attempts reset; returns how many."""
        ...
    def outbox_counts(self, tenant_id: str | None, now: datetime) -> OutboxCounts:
        """Messages by state, for one tenant or (None) all of them."""
        ...
    def prune_outbox(self, before: datetime) -> int:
        """Delete delivered messages delivered before `before`; returns how many."""
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


class TurnTx(Protocol):
    """A turn's transaction on the event loop: load, then save and commit in one step.
    Anything else a turn needs goes the full way. PostgreSQL loads under the conversation's
    lock; SQLite loads without one and saves only if the conversation is still as loaded."""

    async def load(self, tenant_id: str, conversation_id: str, turn_id: str | None
                   ) -> tuple[StoredConversation | None, Mapping[str, Any] | None]:
        """`Tx.load_turn_state` (PostgreSQL: first begin and lock the conversation, as
        `Tx.lock_conversation`)."""
        ...

    async def recent_contacts(self, tenant_id: str, customer_key: str, since: datetime,
                              before: datetime, exclude_conversation: str) -> list[Contact]:
        ...

    async def save_and_commit(self, conversation: StoredConversation, turn_id: str | None,
                              decision: Mapping[str, Any], at: datetime) -> bool:
        """`Tx.save_turn_state`, then commit. False, with nothing written, when another
        writer changed the conversation since `load` (only a store that loads without a
        lock can see that): load again."""
        ...


class TurnStore(Protocol):
    def turn(self) -> AbstractAsyncContextManager[TurnTx]:
        """A turn's transaction, rolled back on exit unless `save_and_commit` ran."""
        ...

    async def aclose(self) -> None: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class Notifier(Protocol):
    """Delivers one outbox message to one notify target of its type (webhook, slack).
    Raises `AdapterError` when the target did not take it (the outbox retries)."""

    def send(self, target: NotifyTarget, message: OutboxMessage) -> None: ...
    def close(self) -> None: ...

"""`InMemoryStore`: the `Store` port in a process's memory, for tests and the demo.

One transaction at a time (a lock held for the whole transaction, as SQLite's single writer);
a failed transaction restores the snapshot taken when it began, so it leaves no trace. JSON columns
are stored as `json` round-trips them (as the SQL store does) and rows are deep-copied on the
way out, so a caller can never change a stored row by mutating what it holds.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from warmline.core.analytics.metrics import CustomerContact
from warmline.core.conversation import Contact
from warmline.core.errors import Conflict
from warmline.core.handoff import (
    Handoff,
    HandoffStatus,
    Rep,
    RepStatus,
    queue_order,
)
from warmline.service.ports import Event, StoredConversation

from .memory_access import InMemoryAccessTx
from .memory_outbox import InMemoryOutboxTx
from .memory_tables import Tables
from .records import as_json, as_utc, contact_reason, maybe_utc, started_at

T = TypeVar("T")


def _copy(value: T) -> T:
    return copy.deepcopy(value)


class InMemoryTx(InMemoryAccessTx, InMemoryOutboxTx):
    """One transaction over `Tables`; see `warmline.service.ports.Tx`."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    # conversations and turns

    def lock_conversation(self, tenant_id: str, conversation_id: str) -> None:
        """Nothing to do: the store's lock already makes every transaction the only one."""

    def get_conversation(self, tenant_id: str, conversation_id: str
                         ) -> StoredConversation | None:
        return _copy(self._t.conversations.get((tenant_id, conversation_id)))

    def save_conversation(self, conversation: StoredConversation) -> None:
        self._need_tenant(conversation.tenant_id)
        key = (conversation.tenant_id, conversation.id)
        self._t.conversations[key] = replace(
            conversation, data=as_json(conversation.data),
            updated_at=maybe_utc(conversation.updated_at))

    def load_turn_state(self, tenant_id: str, conversation_id: str, turn_id: str | None
                        ) -> tuple[StoredConversation | None, Mapping[str, Any] | None]:
        earlier = (None if turn_id is None
                   else self.find_decision(tenant_id, conversation_id, turn_id))
        return self.get_conversation(tenant_id, conversation_id), earlier

    def save_turn_state(self, conversation: StoredConversation, turn_id: str | None,
                        decision: Mapping[str, Any], at: datetime) -> None:
        self.save_conversation(conversation)
        if turn_id is not None:
            self.save_decision(conversation.tenant_id, conversation.id, turn_id, decision, at)

    def find_decision(self, tenant_id: str, conversation_id: str, turn_id: str
                      ) -> Mapping[str, Any] | None:
        return _copy(self._t.decisions.get((tenant_id, conversation_id, turn_id)))

    def save_decision(self, tenant_id: str, conversation_id: str, turn_id: str,
                      decision: Mapping[str, Any], at: datetime) -> None:
        """The first decision for a turn wins; saving it again changes nothing."""
        self._need_tenant(tenant_id)
        as_utc(at)
        self._t.decisions.setdefault((tenant_id, conversation_id, turn_id), as_json(decision))

    def recent_contacts(self, tenant_id: str, customer_key: str, since: datetime,
                        before: datetime, exclude_conversation: str) -> list[Contact]:
        start, end = as_utc(since), as_utc(before)
        found: list[Contact] = []
        for (tenant, conversation_id), c in self._t.conversations.items():
            if (tenant != tenant_id or c.customer_key != customer_key
                    or conversation_id == exclude_conversation):
                continue
            at = started_at(c.data, c.updated_at)
            if at is None or not start <= at < end:
                continue
            handoff = (self._t.handoffs.get((tenant_id, c.handoff_id))
                       if c.handoff_id else None)
            found.append(Contact(
                at=at, handoff=c.handoff_id is not None,
                reason=contact_reason(handoff.decision if handoff else None)))
        return sorted(found, key=lambda contact: contact.at)

    # handoffs

    def add_handoff(self, handoff: Handoff) -> None:
        self._need_tenant(handoff.tenant_id)
        key = (handoff.tenant_id, handoff.id)
        if key in self._t.handoffs:
            raise Conflict(f"handoff {handoff.id!r} already exists")
        self._t.handoffs[key] = _stored_handoff(handoff)

    def get_handoff(self, tenant_id: str, handoff_id: str) -> Handoff | None:
        return _copy(self._t.handoffs.get((tenant_id, handoff_id)))

    def list_handoffs(self, tenant_id: str, *, statuses: Collection[HandoffStatus] = (),
                      queue: str | None = None, created_before: datetime | None = None,
                      limit: int = 100) -> list[Handoff]:
        """In queue order: highest priority, then oldest."""
        wanted = set(statuses)
        rows = [h for (tenant, _), h in self._t.handoffs.items()
                if tenant == tenant_id and (not wanted or h.status in wanted)
                and (queue is None or h.queue == queue)
                and (created_before is None or h.created_at <= created_before)]
        return _copy(sorted(rows, key=queue_order)[:limit])

    def update_handoff(self, handoff: Handoff, *, expect: Collection[HandoffStatus]
                       ) -> bool:
        if not expect:
            raise ValueError("update_handoff needs at least one expected status")
        key = (handoff.tenant_id, handoff.id)
        current = self._t.handoffs.get(key)
        if current is None or current.status not in set(expect):
            return False
        self._t.handoffs[key] = _stored_handoff(handoff)
        return True

    def count_ahead(self, tenant_id: str, queue: str, priority: int, created_at: datetime,
                    exclude_id: str) -> int:
        return sum(1 for h in self._t.handoffs.values()
                   if h.tenant_id == tenant_id and h.queue == queue and h.id != exclude_id
                   and h.status is HandoffStatus.QUEUED
                   and (h.priority > priority or (h.priority == priority
                                                  and h.created_at <= created_at)))

    def handle_seconds(self, tenant_id: str, queue: str, limit: int = 200) -> list[float]:
        done = sorted((h for h in self._t.handoffs.values()
                       if h.tenant_id == tenant_id and h.queue == queue
                       and h.status is HandoffStatus.COMPLETED and h.completed_at
                       and h.accepted_at), key=lambda h: h.completed_at or h.created_at)
        return [((h.completed_at - h.accepted_at).total_seconds())  # type: ignore[operator]
                for h in done[-limit:]]

    def next_queued(self, tenant_id: str, queue: str) -> Handoff | None:
        queued = self.list_handoffs(tenant_id, statuses=(HandoffStatus.QUEUED,),
                                    queue=queue, limit=1)
        return queued[0] if queued else None

    # metrics

    def handoffs_between(self, tenant_id: str, since: datetime, until: datetime,
                         limit: int = 100_000) -> list[Handoff]:
        start, end = as_utc(since), as_utc(until)
        found = sorted((h for (tenant, _), h in self._t.handoffs.items()
                        if tenant == tenant_id and start <= h.created_at < end),
                       key=lambda h: (h.created_at, h.id))
        return _copy(found[:limit])

    def conversations_between(self, tenant_id: str, since: datetime, until: datetime
                              ) -> int:
        start, end = as_utc(since), as_utc(until)
        escalated = {h.conversation_id for (tenant, _), h in self._t.handoffs.items()
                     if tenant == tenant_id and start <= h.created_at < end}
        return sum(1 for (tenant, conversation_id), c in self._t.conversations.items()
                   if tenant == tenant_id and c.updated_at is not None
                   and (start <= c.updated_at < end
                        or (c.updated_at >= end and conversation_id in escalated)))

    def contacts_between(self, tenant_id: str, since: datetime, until: datetime,
                         customer_keys: Collection[str]) -> list[CustomerContact]:
        start, end, keys = as_utc(since), as_utc(until), set(customer_keys)
        found = []
        for (tenant, conversation_id), c in self._t.conversations.items():
            if tenant != tenant_id or c.customer_key is None or c.customer_key not in keys:
                continue
            at = started_at(c.data, c.updated_at)
            if at is not None and start <= at < end:
                found.append(CustomerContact(c.customer_key, conversation_id, at))
        return sorted(found, key=lambda contact: (contact.at, contact.conversation_id))

    # reps

    def get_rep(self, tenant_id: str, rep_id: str) -> Rep | None:
        return self._t.reps.get((tenant_id, rep_id))

    def save_rep(self, rep: Rep) -> None:
        self._need_tenant(rep.tenant_id)
        known = self._t.reps.get((rep.tenant_id, rep.id))
        if known is not None:  # as in SQL: the slot count and idle time stay the store's
            rep = replace(rep, active=known.active, idle_since=known.idle_since)
        self._t.reps[(rep.tenant_id, rep.id)] = replace(
            rep, skills=tuple(rep.skills), idle_since=maybe_utc(rep.idle_since))

    def list_reps(self, tenant_id: str) -> list[Rep]:
        return sorted((r for (tenant, _), r in self._t.reps.items() if tenant == tenant_id),
                      key=lambda r: r.id)

    def take_slot(self, tenant_id: str, rep_id: str) -> bool:
        rep = self._t.reps.get((tenant_id, rep_id))
        if rep is None or rep.status is not RepStatus.AVAILABLE or rep.active >= rep.capacity:
            return False
        self._t.reps[(tenant_id, rep_id)] = replace(rep, active=rep.active + 1)
        return True

    def release_slot(self, tenant_id: str, rep_id: str, at: datetime) -> None:
        """active -= 1 (never below 0); the rep has been idle since `at`."""
        rep = self._t.reps.get((tenant_id, rep_id))
        if rep is not None:
            self._t.reps[(tenant_id, rep_id)] = replace(
                rep, active=max(rep.active - 1, 0), idle_since=as_utc(at))

    # events

    def add_event(self, tenant_id: str, type: str, payload: Mapping[str, Any], at: datetime
                  ) -> int:
        self._need_tenant(tenant_id)
        self._t.last_event_id += 1
        self._t.events.append(Event(id=self._t.last_event_id, tenant_id=tenant_id, type=type,
                                    payload=as_json(payload), created_at=as_utc(at)))
        return self._t.last_event_id

    def events_after(self, tenant_id: str, after_id: int, limit: int = 100) -> list[Event]:
        found = [e for e in self._t.events if e.tenant_id == tenant_id and e.id > after_id]
        return _copy(found[:limit])

    def latest_event_id(self, tenant_id: str) -> int:
        return max((e.id for e in self._t.events if e.tenant_id == tenant_id), default=0)


def _stored_handoff(handoff: Handoff) -> Handoff:
    return replace(
        handoff,
        decision=as_json(handoff.decision),
        created_at=as_utc(handoff.created_at),
        offered_at=maybe_utc(handoff.offered_at),
        accepted_at=maybe_utc(handoff.accepted_at),
        completed_at=maybe_utc(handoff.completed_at),
        declined_by=tuple(handoff.declined_by),
    )


class InMemoryStore:
    """The `Store` port in memory. Transactions run one at a time, across threads."""

    def __init__(self) -> None:
        self._tables = Tables()
        self._lock = threading.Lock()
        self._owner: int | None = None

    @contextmanager
    def transaction(self) -> Iterator[InMemoryTx]:
        if self._owner == threading.get_ident():
            # A nested transaction would wait for itself forever; SQL stores would deadlock.
            raise RuntimeError("a transaction is already open in this thread")
        with self._lock:
            self._owner = threading.get_ident()
            before = self._tables.snapshot()
            try:
                yield InMemoryTx(self._tables)
            except BaseException:
                self._tables = before
                raise
            finally:
                self._owner = None

    def read(self) -> AbstractContextManager[InMemoryTx]:
        """Reads take the same lock as writes here: the memory store is for tests."""
        return self.transaction()

    def close(self) -> None:
        """Nothing to release; present for the `Store` port."""

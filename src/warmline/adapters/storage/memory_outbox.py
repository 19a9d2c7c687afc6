"""The outbox half of `InMemoryTx`, with the SQL store's semantics: claims by token, a
finish with a lapsed claim changes nothing, JSON payloads stored as `json` round-trips them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from warmline.core.errors import Conflict
from warmline.service.ports import OutboxCounts, OutboxMessage, OutboxStatus

from .records import as_json, as_utc

if TYPE_CHECKING:
    from .memory_tables import Tables

_ERROR_CHARS = 500


class InMemoryOutboxTx:
    """Mixed into `InMemoryTx`; see the outbox methods of `warmline.service.ports.Tx`."""

    _t: Tables

    def add_outbox(self, tenant_id: str, *, message_id: str, target: str, type: str,
                   payload: Mapping[str, Any], at: datetime) -> int:
        if tenant_id not in self._t.tenants:
            raise Conflict(f"tenant {tenant_id!r} does not exist")
        if any(m.message_id == message_id for m in self._t.outbox.values()):
            raise Conflict(f"outbox message {message_id!r} already exists")
        self._t.last_outbox_id += 1
        at = as_utc(at)
        self._t.outbox[self._t.last_outbox_id] = OutboxMessage(
            id=self._t.last_outbox_id, tenant_id=tenant_id, message_id=message_id,
            target=target, type=type, payload=as_json(payload), created_at=at, due_at=at)
        return self._t.last_outbox_id

    def claim_outbox(self, now: datetime, *, claim: str, until: datetime, limit: int
                     ) -> list[OutboxMessage]:
        now, until = as_utc(now), as_utc(until)
        due = sorted((m for m in self._t.outbox.values()
                      if m.status is OutboxStatus.PENDING and m.due_at <= now),
                     key=lambda m: (m.due_at, m.id))[:limit]
        claimed = [replace(m, due_at=until, claim=claim) for m in due]
        for message in claimed:
            self._t.outbox[message.id] = message
        return [replace(m, payload=as_json(m.payload)) for m in claimed]

    def next_outbox_due(self) -> datetime | None:
        return min((m.due_at for m in self._t.outbox.values()
                    if m.status is OutboxStatus.PENDING), default=None)

    def _finish(self, message_id: int, claim: str, **values: Any) -> bool:
        current = self._t.outbox.get(message_id)
        if (current is None or current.claim != claim
                or current.status is not OutboxStatus.PENDING):
            return False
        self._t.outbox[message_id] = replace(current, claim=None, **values)
        return True

    def finish_outbox(self, message_id: int, claim: str, *, at: datetime) -> bool:
        return self._finish(message_id, claim, status=OutboxStatus.DELIVERED,
                            delivered_at=as_utc(at))

    def retry_outbox(self, message_id: int, claim: str, *, due_at: datetime, error: str
                     ) -> bool:
        current = self._t.outbox.get(message_id)
        attempts = current.attempts + 1 if current else 0
        return self._finish(message_id, claim, attempts=attempts, due_at=as_utc(due_at),
                            last_error=error[:_ERROR_CHARS])

    def dead_letter_outbox(self, message_id: int, claim: str, *, error: str) -> bool:
        current = self._t.outbox.get(message_id)
        attempts = current.attempts + 1 if current else 0
        return self._finish(message_id, claim, attempts=attempts, status=OutboxStatus.DEAD,
                            last_error=error[:_ERROR_CHARS])

    def list_outbox(self, tenant_id: str, *, status: OutboxStatus | None = None,
                    limit: int = 100) -> list[OutboxMessage]:
        found = [m for _, m in sorted(self._t.outbox.items())
                 if m.tenant_id == tenant_id and (status is None or m.status is status)]
        return [replace(m, payload=as_json(m.payload)) for m in found[:limit]]

    def requeue_outbox(self, tenant_id: str, message_ids: Collection[int], *, at: datetime
                       ) -> int:
        at, wanted, moved = as_utc(at), set(message_ids), 0
        for message_id, m in list(self._t.outbox.items()):
            if (message_id in wanted and m.tenant_id == tenant_id
                    and m.status is OutboxStatus.DEAD):
                self._t.outbox[message_id] = replace(
                    m, status=OutboxStatus.PENDING, attempts=0, created_at=at, due_at=at,
                    claim=None)
                moved += 1
        return moved

    def outbox_counts(self, tenant_id: str | None, now: datetime) -> OutboxCounts:
        now = as_utc(now)
        mine = [m for m in self._t.outbox.values()
                if tenant_id is None or m.tenant_id == tenant_id]
        pending = [m for m in mine if m.status is OutboxStatus.PENDING]
        return OutboxCounts(
            pending=len(pending), due=sum(1 for m in pending if m.due_at <= now),
            retrying=sum(1 for m in pending if m.attempts > 0),
            dead=sum(1 for m in mine if m.status is OutboxStatus.DEAD),
            delivered=sum(1 for m in mine if m.status is OutboxStatus.DELIVERED),
            oldest_pending_at=min((m.created_at for m in pending), default=None))

    def prune_outbox(self, before: datetime) -> int:
        before = as_utc(before)
        old = [i for i, m in self._t.outbox.items() if m.status is OutboxStatus.DELIVERED
               and m.delivered_at is not None and m.delivered_at < before]
        for message_id in old:
            del self._t.outbox[message_id]
        return len(old)

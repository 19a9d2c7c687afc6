"""The outbox half of `SqlTx`: messages written with their event, claimed by delivery workers
with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite: the transaction is the one writer), and
finished only by the worker whose claim token still matches."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warmline.service.ports import OutboxCounts, OutboxMessage, OutboxStatus

from . import rows
from .records import as_utc
from .tables import outbox

_PENDING = OutboxStatus.PENDING.value
_ERROR_CHARS = 500


class SqlOutboxTx:
    """Mixed into `SqlTx`; see the outbox methods of `warmline.service.ports.Tx`."""

    _c: sa.Connection

    def add_outbox(self, tenant_id: str, *, message_id: str, target: str, type: str,
                   payload: Mapping[str, Any], at: datetime) -> int:
        at = as_utc(at)
        new_id: int = self._c.execute(sa.insert(outbox).returning(outbox.c.id), {
            "tenant_id": tenant_id, "message_id": message_id, "target": target, "type": type,
            "payload": payload, "created_at": at, "due_at": at, "attempts": 0,
            "status": _PENDING, "last_error": None, "delivered_at": None, "claim": None,
        }).scalar_one()
        return new_id

    def claim_outbox(self, now: datetime, *, claim: str, until: datetime, limit: int
                     ) -> list[OutboxMessage]:
        o = outbox.c
        # A row another worker is claiming is skipped; once it commits, the row's new due_at
        # (its claim's end) no longer matches, as PostgreSQL re-checks locked rows.
        found = self._c.execute(
            sa.select(outbox)
            .where(o.status == _PENDING, o.due_at <= as_utc(now))
            .order_by(o.due_at, o.id).limit(limit)
            .with_for_update(skip_locked=True)).all()
        if not found:
            return []
        until = as_utc(until)
        self._c.execute(sa.update(outbox).where(o.id.in_([row.id for row in found]))
                        .values(due_at=until, claim=claim))
        return [replace(rows.outbox_message(row), due_at=until, claim=claim) for row in found]

    def next_outbox_due(self) -> datetime | None:
        due: datetime | None = self._c.execute(
            sa.select(sa.func.min(outbox.c.due_at)).where(outbox.c.status == _PENDING)
        ).scalar()
        return due

    def _finish(self, message_id: int, claim: str, values: Mapping[str, Any]) -> bool:
        o = outbox.c
        result = self._c.execute(
            sa.update(outbox)
            .where(o.id == message_id, o.claim == claim, o.status == _PENDING)
            .values(claim=None, **values))
        return result.rowcount == 1

    def finish_outbox(self, message_id: int, claim: str, *, at: datetime) -> bool:
        return self._finish(message_id, claim, {"status": OutboxStatus.DELIVERED.value,
                                                "delivered_at": as_utc(at)})

    def retry_outbox(self, message_id: int, claim: str, *, due_at: datetime, error: str
                     ) -> bool:
        return self._finish(message_id, claim, {
            "attempts": outbox.c.attempts + 1, "due_at": as_utc(due_at),
            "last_error": error[:_ERROR_CHARS]})

    def dead_letter_outbox(self, message_id: int, claim: str, *, error: str) -> bool:
        return self._finish(message_id, claim, {
            "attempts": outbox.c.attempts + 1, "status": OutboxStatus.DEAD.value,
            "last_error": error[:_ERROR_CHARS]})

    def list_outbox(self, tenant_id: str, *, status: OutboxStatus | None = None,
                    limit: int = 100) -> list[OutboxMessage]:
        query = sa.select(outbox).where(outbox.c.tenant_id == tenant_id)
        if status is not None:
            query = query.where(outbox.c.status == status.value)
        query = query.order_by(outbox.c.id).limit(limit)
        return [rows.outbox_message(row) for row in self._c.execute(query)]

    def requeue_outbox(self, tenant_id: str, message_ids: Collection[int], *, at: datetime
                       ) -> int:
        if not message_ids:
            return 0
        o, at = outbox.c, as_utc(at)
        result = self._c.execute(
            sa.update(outbox)
            .where(o.tenant_id == tenant_id, o.id.in_(list(message_ids)),
                   o.status == OutboxStatus.DEAD.value)
            .values(status=_PENDING, attempts=0, created_at=at, due_at=at, claim=None))
        return int(result.rowcount)

    def outbox_counts(self, tenant_id: str | None, now: datetime) -> OutboxCounts:
        o = outbox.c
        pending = o.status == _PENDING
        query = sa.select(
            sa.func.count().filter(pending),
            sa.func.count().filter(pending, o.due_at <= as_utc(now)),
            sa.func.count().filter(pending, o.attempts > 0),
            sa.func.count().filter(o.status == OutboxStatus.DEAD.value),
            sa.func.count().filter(o.status == OutboxStatus.DELIVERED.value),
            sa.func.min(o.created_at).filter(pending),
        ).select_from(outbox)
        if tenant_id is not None:
            query = query.where(o.tenant_id == tenant_id)
        row = self._c.execute(query).one()
        return OutboxCounts(pending=row[0], due=row[1], retrying=row[2], dead=row[3],
                            delivered=row[4], oldest_pending_at=row[5])

    def prune_outbox(self, before: datetime) -> int:
        o = outbox.c
        result = self._c.execute(sa.delete(outbox).where(
            o.status == OutboxStatus.DELIVERED.value, o.delivered_at < as_utc(before)))
        return int(result.rowcount)

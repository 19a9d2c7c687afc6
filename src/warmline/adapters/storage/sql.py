"""`SqlStore`: the `Store` port on SQLAlchemy 2 Core (no ORM on the hot path), for SQLite
and PostgreSQL. Races are decided by the database: conditional UPDATEs, and on PostgreSQL
`FOR UPDATE SKIP LOCKED` for the queue claim; on SQLite each transaction is the one writer."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import OperationalError

from warmline.core.analytics.metrics import CustomerContact
from warmline.core.conversation import Contact
from warmline.core.errors import AdapterError
from warmline.core.handoff import Handoff, HandoffStatus, Rep, RepStatus
from warmline.service.ports import Event, StoredConversation

from . import rows
from .engine import READ_ONLY, SchemaNotCurrent, first_line, make_engine, mapped_errors, safe_url
from .records import as_utc, contact_reason, started_at
from .sql_access import SqlAccessTx
from .sql_outbox import SqlOutboxTx
from .statements import QUEUE_ORDER, statements
from .tables import conversations, events, handoffs, reps
from .writer_lock import WriterLock

__all__ = ["SchemaNotCurrent", "SqlStore", "SqlTx"]

_KEYS_PER_QUERY = 500


#: The PostgreSQL channel that says "tenant X has new events".
EVENTS_CHANNEL = "warmline_events"


class SqlTx(SqlAccessTx, SqlOutboxTx):
    """One transaction on one connection; see `warmline.service.ports.Tx`."""

    def __init__(self, connection: sa.Connection) -> None:
        self._c = connection
        self._s = statements(connection.dialect.name)
        self.notify_tenants: set[str] = set()
        """Tenants whose events this transaction added: one NOTIFY each at commit."""

    # conversations and turns

    def lock_conversation(self, tenant_id: str, conversation_id: str) -> None:
        """PostgreSQL: a transaction-scoped advisory lock on the conversation (it covers a
        conversation not stored yet, which a row lock cannot). Under READ COMMITTED the
        statements after it read what an earlier holder committed. SQLite: nothing to do,
        a write transaction already holds the whole database."""
        if self._s.lock_conversation is not None:
            self._c.execute(self._s.lock_conversation,
                            {"key": f"{tenant_id}\x1f{conversation_id}"})

    def get_conversation(self, tenant_id: str, conversation_id: str
                         ) -> StoredConversation | None:
        row = self._c.execute(self._s.get_conversation,
                              {"tenant_id": tenant_id, "id": conversation_id}).first()
        return rows.conversation(row) if row else None

    def save_conversation(self, conversation: StoredConversation) -> None:
        values = rows.conversation_values(conversation)
        values["started_at"] = started_at(conversation.data, conversation.updated_at)
        self._c.execute(self._s.save_conversation, values)

    def load_turn_state(self, tenant_id: str, conversation_id: str, turn_id: str | None
                        ) -> tuple[StoredConversation | None, Mapping[str, Any] | None]:
        """One round trip: the conversation's row with the turn's decision as a scalar
        subquery (a decision is only ever stored with its conversation)."""
        row = self._c.execute(self._s.load_turn_state, {
            "tenant_id": tenant_id, "id": conversation_id, "turn_id": turn_id}).first()
        if row is None:
            return None, None
        return rows.conversation(row), row.earlier_decision

    def save_turn_state(self, conversation: StoredConversation, turn_id: str | None,
                        decision: Mapping[str, Any], at: datetime) -> None:
        if turn_id is None or self._s.save_turn_state is None:
            self.save_conversation(conversation)
            if turn_id is not None:
                self.save_decision(conversation.tenant_id, conversation.id, turn_id,
                                   decision, at)
            return
        values = rows.conversation_values(conversation)  # PostgreSQL: one statement
        values["started_at"] = started_at(conversation.data, conversation.updated_at)
        values.update(turn_id=turn_id, decision=decision, created_at=as_utc(at))
        self._c.execute(self._s.save_turn_state, values)

    def find_decision(self, tenant_id: str, conversation_id: str, turn_id: str
                      ) -> Mapping[str, Any] | None:
        found: Mapping[str, Any] | None = self._c.execute(self._s.find_decision, {
            "tenant_id": tenant_id, "conversation_id": conversation_id, "turn_id": turn_id,
        }).scalar()
        return found

    def save_decision(self, tenant_id: str, conversation_id: str, turn_id: str,
                      decision: Mapping[str, Any], at: datetime) -> None:
        """The first decision for a turn wins; saving it again changes nothing."""
        self._c.execute(self._s.save_decision, {
            "tenant_id": tenant_id, "conversation_id": conversation_id, "turn_id": turn_id,
            "decision": decision, "created_at": as_utc(at)})

    def recent_contacts(self, tenant_id: str, customer_key: str, since: datetime,
                        before: datetime, exclude_conversation: str) -> list[Contact]:
        found = self._c.execute(self._s.recent_contacts, {
            "tenant_id": tenant_id, "customer_key": customer_key,
            "exclude": exclude_conversation, "since": as_utc(since), "before": as_utc(before)})
        return [Contact(at=at, handoff=handoff_id is not None, reason=contact_reason(decision))
                for at, handoff_id, decision in found]

    # handoffs

    def add_handoff(self, handoff: Handoff) -> None:
        self._c.execute(sa.insert(handoffs).values(rows.handoff_values(handoff)))

    def get_handoff(self, tenant_id: str, handoff_id: str) -> Handoff | None:
        row = self._c.execute(self._s.get_handoff,
                              {"tenant_id": tenant_id, "id": handoff_id}).first()
        return rows.handoff(row) if row else None

    def list_handoffs(self, tenant_id: str, *, statuses: Collection[HandoffStatus] = (),
                      queue: str | None = None, created_before: datetime | None = None,
                      limit: int = 100) -> list[Handoff]:
        """In queue order: highest priority, then oldest."""
        query = sa.select(handoffs).where(handoffs.c.tenant_id == tenant_id)
        if statuses:
            query = query.where(handoffs.c.status.in_([s.value for s in statuses]))
        if queue is not None:
            query = query.where(handoffs.c.queue == queue)
        if created_before is not None:
            query = query.where(handoffs.c.created_at <= as_utc(created_before))
        query = query.order_by(*QUEUE_ORDER).limit(limit)
        return [rows.handoff(row) for row in self._c.execute(query)]

    def count_ahead(self, tenant_id: str, queue: str, priority: int, created_at: datetime,
                    exclude_id: str) -> int:
        h = handoffs.c
        query = sa.select(sa.func.count()).select_from(handoffs).where(
            h.tenant_id == tenant_id, h.queue == queue, h.status == HandoffStatus.QUEUED.value,
            h.id != exclude_id,
            sa.or_(h.priority > priority,
                   sa.and_(h.priority == priority, h.created_at <= created_at)))
        return int(self._c.execute(query).scalar() or 0)

    def handle_seconds(self, tenant_id: str, queue: str, limit: int = 200) -> list[float]:
        h = handoffs.c
        query = (sa.select(h.accepted_at, h.completed_at)
                 .where(h.tenant_id == tenant_id, h.queue == queue,
                        h.status == HandoffStatus.COMPLETED.value,
                        h.accepted_at.is_not(None), h.completed_at.is_not(None))
                 .order_by(h.completed_at.desc()).limit(limit))
        return [(done - accepted).total_seconds() for accepted, done in self._c.execute(query)]

    def update_handoff(self, handoff: Handoff, *, expect: Collection[HandoffStatus]
                       ) -> bool:
        if not expect:
            raise ValueError("update_handoff needs at least one expected status")
        values = rows.handoff_values(handoff)
        del values["tenant_id"], values["id"]
        result = self._c.execute(
            sa.update(handoffs)
            .where(handoffs.c.tenant_id == handoff.tenant_id, handoffs.c.id == handoff.id,
                   handoffs.c.status.in_([s.value for s in expect]))
            .values(values))
        return result.rowcount == 1

    def next_queued(self, tenant_id: str, queue: str) -> Handoff | None:
        # SQLite renders no FOR UPDATE: its transaction already holds the only write lock.
        row = self._c.execute(
            sa.select(handoffs)
            .where(handoffs.c.tenant_id == tenant_id, handoffs.c.queue == queue,
                   handoffs.c.status == HandoffStatus.QUEUED.value)
            .order_by(*QUEUE_ORDER).limit(1)
            .with_for_update(skip_locked=True)).first()
        return rows.handoff(row) if row else None

    # metrics

    def handoffs_between(self, tenant_id: str, since: datetime, until: datetime,
                         limit: int = 100_000) -> list[Handoff]:
        h = handoffs.c
        query = (sa.select(handoffs)
                 .where(h.tenant_id == tenant_id, h.created_at >= as_utc(since),
                        h.created_at < as_utc(until))
                 .order_by(h.created_at, h.id).limit(limit))
        return [rows.handoff(row) for row in self._c.execute(query)]

    def conversations_between(self, tenant_id: str, since: datetime, until: datetime
                              ) -> int:
        c, h = conversations.c, handoffs.c
        start, end = as_utc(since), as_utc(until)
        decided = sa.select(sa.func.count()).select_from(conversations).where(
            c.tenant_id == tenant_id, c.updated_at >= start, c.updated_at < end)
        # Escalated in the window but decided again after it (turns after the handoff).
        later = (sa.select(sa.func.count(sa.distinct(c.id)))
                 .select_from(conversations.join(handoffs, sa.and_(
                     h.tenant_id == c.tenant_id, h.conversation_id == c.id)))
                 .where(c.tenant_id == tenant_id, c.updated_at >= end,
                        h.created_at >= start, h.created_at < end))
        return int(self._c.execute(decided).scalar() or 0) + int(
            self._c.execute(later).scalar() or 0)

    def contacts_between(self, tenant_id: str, since: datetime, until: datetime,
                         customer_keys: Collection[str]) -> list[CustomerContact]:
        c, keys = conversations.c, sorted(set(customer_keys))
        found: list[CustomerContact] = []
        # Chunks keep the IN list under SQLite's bound-parameter limit.
        for i in range(0, len(keys), _KEYS_PER_QUERY):
            query = sa.select(c.customer_key, c.id, c.started_at).where(
                c.tenant_id == tenant_id, c.customer_key.in_(keys[i:i + _KEYS_PER_QUERY]),
                c.started_at >= as_utc(since), c.started_at < as_utc(until))
            found.extend(CustomerContact(key, conversation_id, at)
                         for key, conversation_id, at in self._c.execute(query))
        return sorted(found, key=lambda contact: (contact.at, contact.conversation_id))

    # reps

    def get_rep(self, tenant_id: str, rep_id: str) -> Rep | None:
        row = self._c.execute(sa.select(reps).where(
            reps.c.tenant_id == tenant_id, reps.c.id == rep_id)).first()
        return rows.rep(row) if row else None

    def save_rep(self, rep: Rep) -> None:
        self._c.execute(self._s.save_rep, rows.rep_values(rep))

    def list_reps(self, tenant_id: str) -> list[Rep]:
        query = sa.select(reps).where(reps.c.tenant_id == tenant_id).order_by(reps.c.id)
        return [rows.rep(row) for row in self._c.execute(query)]

    def take_slot(self, tenant_id: str, rep_id: str) -> bool:
        result = self._c.execute(
            sa.update(reps)
            .where(reps.c.tenant_id == tenant_id, reps.c.id == rep_id,
                   reps.c.active < reps.c.capacity,
                   reps.c.status == RepStatus.AVAILABLE.value)
            .values(active=reps.c.active + 1))
        return result.rowcount == 1

    def release_slot(self, tenant_id: str, rep_id: str, at: datetime) -> None:
        """active -= 1 (never below 0); the rep has been idle since `at`."""
        self._c.execute(
            sa.update(reps)
            .where(reps.c.tenant_id == tenant_id, reps.c.id == rep_id)
            .values(active=sa.case((reps.c.active > 0, reps.c.active - 1), else_=0),
                    idle_since=as_utc(at)))

    # events

    def add_event(self, tenant_id: str, type: str, payload: Mapping[str, Any], at: datetime
                  ) -> int:
        """On PostgreSQL this waits for the tenant's other event writers to commit (see
        `statements.order_events`): add events late in a transaction."""
        if self._s.order_events is not None:
            self._c.execute(self._s.order_events, {"tenant_id": tenant_id})
        event_id: int = self._c.execute(self._s.add_event, {
            "tenant_id": tenant_id, "type": type, "payload": payload, "created_at": as_utc(at),
        }).scalar_one()
        self.notify_tenants.add(tenant_id)
        return event_id

    def notify(self) -> None:
        """On PostgreSQL, one NOTIFY per tenant per transaction, carrying only the tenant id;
        PostgreSQL delivers it at commit (and drops it on rollback). Listeners re-read the
        event table, so a missed notification only delays, never loses, an event."""
        if self._c.dialect.name != "postgresql":
            return
        for tenant_id in sorted(self.notify_tenants):
            self._c.execute(sa.text("SELECT pg_notify(:channel, :tenant)"),
                            {"channel": EVENTS_CHANNEL, "tenant": tenant_id})

    def events_after(self, tenant_id: str, after_id: int, limit: int = 100) -> list[Event]:
        found = self._c.execute(self._s.events_after,
                                {"tenant_id": tenant_id, "after_id": after_id, "limit": limit})
        return [rows.event(row) for row in found]

    def latest_event_id(self, tenant_id: str) -> int:
        latest: int | None = self._c.execute(
            sa.select(sa.func.max(events.c.id)).where(events.c.tenant_id == tenant_id)).scalar()
        return latest or 0


class SqlStore:
    """The `Store` port on a SQL database. `url` is a `--db` URL: `sqlite:///FILE`
    (the default `sqlite:///warmline.db`) or `postgresql://USER@HOST/DB`."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self._engine = make_engine(url, echo=echo)
        self.url = safe_url(self._engine.url)
        # SQLite has one writer at a time and every transaction here writes (BEGIN
        # IMMEDIATE). Writers queue on this lock — threads, then worker processes — instead
        # of in SQLite's busy handler, which sleeps between retries and turned 32 concurrent
        # requests into second-long tails (see writer_lock.py).
        self._writer: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if self._engine.dialect.name == "sqlite":
            database = self._engine.url.database
            self._writer = WriterLock(f"{database}-writer" if database and database !=
                                      ":memory:" else None)

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    @property
    def writer(self) -> contextlib.AbstractContextManager[Any]:
        """The lock a writing transaction holds in this process (SQLite; a no-op else)."""
        return self._writer

    def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database without blocking writers (PASSIVE), off
        the hot path — left to a committing writer it stalls that commit for the fsync.
        The server runs this every second in a worker thread. PostgreSQL: nothing."""
        if self._engine.dialect.name != "sqlite":
            return
        raw = self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            cursor.close()
        finally:
            raw.close()

    @contextmanager
    def transaction(self) -> Iterator[SqlTx]:
        with mapped_errors(self.url), self._writer, self._engine.begin() as connection:
            tx = SqlTx(connection)
            yield tx
            tx.notify()

    @contextmanager
    def read(self) -> Iterator[SqlTx]:
        """A transaction that only reads: on SQLite it begins deferred and skips the writer
        lock, so desk polling and GETs never queue behind writes (WAL readers see the last
        commit). Writing inside it is a bug; SQLite would then fail with "database is
        locked" under contention."""
        with mapped_errors(self.url), self._engine.connect() as connection:
            reader = connection.execution_options(**{READ_ONLY: True})
            with reader.begin():
                yield SqlTx(reader)

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at; None when it was never migrated."""
        try:
            with self._engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except OperationalError as err:
            raise AdapterError(f"cannot reach database {self.url}: {first_line(err)}",
                               retryable=True) from err

    def close(self) -> None:
        self._engine.dispose()
        if isinstance(self._writer, WriterLock):
            self._writer.close()

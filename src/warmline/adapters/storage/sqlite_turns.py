"""The turn path on SQLite without SQLAlchemy's per-statement machinery: the same statements
(`statements.py`, compiled once) run on the stdlib `sqlite3` connection, with SQLAlchemy's
own type processors for JSON and UTC times, so rows are byte-for-byte what `SqlTx` writes.

Under load, SQLAlchemy Core's execution path (transaction objects, events, result proxies,
parameter processing) cost about a third of a SQLite turn's CPU, several times what SQLite
itself spent (docs/scaling.md, session 8). Only the turns that store and decide come here
(`TurnService.post_turns_async`); one that escalates gets None back and goes the full way.

Two workers on one file contend for SQLite's single write lock. Held from load to commit,
it would also cover the decision, the bulk of a turn's CPU. So a turn here reads without a
lock, decides, and only then takes the write lock (`SqlStore.writer`, then BEGIN IMMEDIATE)
to write — on the condition that the conversation's stored text is still what it read. If
another writer changed it meanwhile, nothing is written and `TurnService.post_turns_async`
reads again. Nothing in a turn awaits anything, so within one process turns never
interleave; the condition is for other processes and for this one's threads."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from warmline.core.conversation import Contact
from warmline.service.ports import StoredConversation

from . import rows
from .engine import mapped_errors
from .records import contact_reason, started_at
from .sql import SqlStore
from .statements import statements
from .tables import conversations

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Statement:
    """One compiled statement: SQL with ``:name`` parameters, each bound value's SQLAlchemy
    bind processor, and each result column's name and result processor."""

    sql: str
    binds: tuple[tuple[str, Processor], ...]
    columns: tuple[tuple[str, Processor], ...]

    @classmethod
    def compile(cls, statement: Any, dialect: sa.Dialect) -> _Statement:
        compiled = statement.compile(dialect=sqlite.dialect(paramstyle="named"))
        binds = tuple((name, param.type.dialect_impl(dialect).bind_processor(dialect))
                      for name, param in compiled.binds.items())
        columns: tuple[tuple[str, Processor], ...] = ()
        if isinstance(statement, sa.Select):
            columns = tuple((str(column.key),
                             column.type.dialect_impl(dialect).result_processor(dialect, None))
                            for column in statement.selected_columns)
        return cls(str(compiled), binds, columns)

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The values as SQLite takes them (a missing one is a KeyError, as in SQLAlchemy)."""
        return {name: values[name] if process is None else process(values[name])
                for name, process in self.binds}

    def row(self, values: Sequence[Any]) -> dict[str, Any]:
        """A result row by column name, each value as SQLAlchemy would return it."""
        return {name: value if process is None else process(value)
                for (name, process), value in zip(self.columns, values, strict=True)}

    def position(self, name: str) -> int:
        return next(i for i, (column, _) in enumerate(self.columns) if column == name)


@dataclass(frozen=True, slots=True)
class _Sql:
    load: _Statement
    insert: _Statement
    """A new conversation, unless another writer stored it first."""
    update: _Statement
    """A stored conversation, if its text is still `expected` (its other values `new_*`)."""
    save_decision: _Statement
    recent_contacts: _Statement


def _compiled(dialect: sa.Dialect) -> _Sql:
    s, c, p = statements("sqlite"), conversations, sa.bindparam
    keys = [column.name for column in c.primary_key.columns]
    update = sa.update(c).where(
        *(c.c[key] == p(key) for key in keys),
        sa.type_coerce(c.c.data, sa.Text) == p("expected", type_=sa.Text),
    ).values({column.name: p(f"new_{column.name}", type_=column.type)
              for column in c.columns if column.name not in keys})
    return _Sql(load=_Statement.compile(s.load_turn_state, dialect),
                insert=_Statement.compile(sqlite.insert(c).on_conflict_do_nothing(), dialect),
                update=_Statement.compile(update, dialect),
                save_decision=_Statement.compile(s.save_decision, dialect),
                recent_contacts=_Statement.compile(s.recent_contacts, dialect))


class SqliteTurnTx:
    """One turn: reads without a lock, one conditional write; see
    `warmline.service.ports.TurnTx`."""

    def __init__(self, store: SqlStore, connection: sqlite3.Connection, sql: _Sql) -> None:
        self._store = store
        self._c = connection
        self._sql = sql
        self._url = store.url
        self._loaded: tuple[str, str] | None = None
        self._loaded_text: str | None = None

    async def load(self, tenant_id: str, conversation_id: str, turn_id: str | None
                   ) -> tuple[StoredConversation | None, Mapping[str, Any] | None]:
        statement = self._sql.load
        with mapped_errors(self._url):
            raw = self._c.execute(statement.sql, statement.params(
                {"tenant_id": tenant_id, "id": conversation_id, "turn_id": turn_id})).fetchone()
        self._loaded = (tenant_id, conversation_id)
        if raw is None:
            return None, None
        found = statement.row(raw)
        self._loaded_text = raw[statement.position("data")]
        return StoredConversation(tenant_id, conversation_id, found["data"],
                                  found["customer_key"], found["handoff_id"],
                                  found["updated_at"]), found["earlier_decision"]

    async def recent_contacts(self, tenant_id: str, customer_key: str, since: datetime,
                              before: datetime, exclude_conversation: str) -> list[Contact]:
        statement = self._sql.recent_contacts
        with mapped_errors(self._url):
            found = [statement.row(raw) for raw in self._c.execute(
                statement.sql, statement.params({
                    "tenant_id": tenant_id, "customer_key": customer_key,
                    "exclude": exclude_conversation, "since": since, "before": before}))]
        return [Contact(at=row["started_at"].astimezone(UTC), handoff=row["handoff_id"] is not None,
                        reason=contact_reason(row["decision"]))
                for row in found]

    async def save_and_commit(self, conversation: StoredConversation, turn_id: str | None,
                              decision: Mapping[str, Any], at: datetime) -> bool:
        if self._loaded != (conversation.tenant_id, conversation.id):
            raise RuntimeError("save_and_commit before load of the same conversation")
        values = rows.conversation_values(conversation)  # as `SqlTx.save_turn_state`
        values["started_at"] = started_at(conversation.data, conversation.updated_at)
        if self._loaded_text is None:
            statement, params = self._sql.insert, values
        else:
            statement = self._sql.update
            params = {f"new_{k}": v for k, v in values.items()}
            params.update(tenant_id=conversation.tenant_id, id=conversation.id,
                          expected=self._loaded_text)
        bound = statement.params(params)  # JSON and times encoded before the lock is taken
        decide = self._sql.save_decision
        decided = None if turn_id is None else decide.params({  # the first decision wins
            "tenant_id": conversation.tenant_id, "conversation_id": conversation.id,
            "turn_id": turn_id, "decision": decision, "created_at": at})
        with self._store.writer, mapped_errors(self._url):
            self._c.execute("BEGIN IMMEDIATE")
            try:
                saved = self._c.execute(statement.sql, bound).rowcount == 1
                if saved and decided is not None:
                    self._c.execute(decide.sql, decided)
                self._c.execute("COMMIT" if saved else "ROLLBACK")
            except BaseException:
                if self._c.in_transaction:
                    self._c.execute("ROLLBACK")
                raise
        return saved


class SqliteTurnStore:
    """One `sqlite3` connection per worker process, taken from the store's pool on first
    use and kept; see `warmline.service.ports.TurnStore`."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store
        self._sql = _compiled(store.engine.dialect)
        self._raw: Any = None  # SQLAlchemy's pooled connection, set up by its connect hook

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[SqliteTurnTx]:
        """A turn on this process's connection; it writes (and commits) only in
        `save_and_commit`, so there is nothing to roll back on exit."""
        yield SqliteTurnTx(self._store, self._connection(), self._sql)

    def _connection(self) -> sqlite3.Connection:
        if self._raw is None:
            with mapped_errors(self._store.url):
                self._raw = self._store.engine.raw_connection()
        connection: sqlite3.Connection = self._raw.driver_connection
        return connection

    async def aclose(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            raw.close()  # back to the pool

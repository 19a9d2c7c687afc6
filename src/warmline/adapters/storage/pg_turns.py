"""The hot path's PostgreSQL transaction on the event loop: psycopg's async connections, no
worker threads, two round trips per turn.

A turn through `SqlStore` costs five round trips (BEGIN, the conversation lock, the load,
the save, COMMIT), each through SQLAlchemy and a worker thread whose return fights the event
loop for the GIL. Here the statements go as two simple-protocol messages, with parameters
bound client-side by psycopg (quoted by libpq's rules, never by string formatting):

1. ``BEGIN; SELECT pg_advisory_xact_lock(...); SELECT <conversation + this turn's decision>``
   — PostgreSQL runs them in order, so the load's READ COMMITTED snapshot is taken after
   the lock is held and sees what the lock's previous holder committed;
2. ``INSERT ... ON CONFLICT DO UPDATE (the conversation) [+ the turn's decision]; COMMIT``.

The statements are `SqlStore`'s own (`statements.py`, compiled once and split at their
placeholders), so this path and the threaded one take the same conversation lock and
write the same rows. Each value becomes a literal through psycopg's own adapters
(`Transformer.as_literal`: libpq's quoting, exactly what a client-side cursor does) and the
message goes straight to the connection: psycopg's cursor machinery, built for every kind
of query, cost more CPU than the turn's statements needed (docs/scaling.md, session 6).

Errors from the connection become the retryable `AdapterError` every other path raises
(503 + Retry-After); a connection that failed, or whose transaction did not finish, is
closed, never reused."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg.adapt import Transformer
from psycopg.errors import error_from_result
from psycopg.generators import execute
from psycopg.pq import ExecStatus
from psycopg.types.json import Json
from sqlalchemy.engine import URL, make_url

from warmline.core.conversation import Contact
from warmline.core.errors import AdapterError
from warmline.service.ports import StoredConversation

from . import rows
from .engine import POOL_TIMEOUT, STATEMENT_TIMEOUT_MS, pg_connect_args
from .records import as_utc, contact_reason, dumps, started_at
from .statements import statements

#: Connections (so turns in flight) per worker process. Unlike threads, more in flight cost
#: no GIL handoffs; measured with 2 workers, 2, 4 and 8 gave the same rate and CPU within
#: the machine's noise (docs/scaling.md, session 5), so 4: few backends, some overlap.
CONNECTIONS = 4


_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True, slots=True)
class _Query:
    """SQL split once at its ``%(name)s`` placeholders; `render` fills each with a literal
    made by psycopg's adapters for the connection (libpq's quoting), never by formatting."""

    texts: tuple[bytes, ...]
    names: tuple[str, ...]

    @classmethod
    def parse(cls, sql: str) -> _Query:
        parts = _PLACEHOLDER.split(sql)
        return cls(tuple(p.replace("%%", "%").encode() for p in parts[0::2]),
                   tuple(parts[1::2]))

    def render(self, literal: Callable[[Any], bytes], params: Mapping[str, Any]) -> bytes:
        out = [self.texts[0]]
        for name, text in zip(self.names, self.texts[1:], strict=True):
            out.append(literal(params[name]))
            out.append(text)
        return b"".join(out)


@dataclass(frozen=True, slots=True)
class _Sql:
    """The threaded path's own statements (`statements.py`), compiled once: one source for
    the SQL, the lock key and the column lists."""

    begin_and_load: _Query
    save_and_commit: _Query
    save_with_decision_and_commit: _Query
    recent_contacts: _Query
    defaults: Mapping[str, Any]
    """Values SQLAlchemy bound itself (the lock's namespace)."""


@cache
def _sql() -> _Sql:
    dialect = make_url("postgresql+psycopg://").get_dialect()()
    s = statements("postgresql")
    defaults: dict[str, Any] = {}

    def text(statement: Any) -> str:
        compiled = statement.compile(dialect=dialect)
        defaults.update((k, v) for k, v in compiled.params.items() if v is not None)
        return str(compiled)

    return _Sql(
        begin_and_load=_Query.parse(
            f"BEGIN; {text(s.lock_conversation)}; {text(s.load_turn_state)}"),
        save_and_commit=_Query.parse(f"{text(s.save_conversation)}; COMMIT"),
        save_with_decision_and_commit=_Query.parse(f"{text(s.save_turn_state)}; COMMIT"),
        recent_contacts=_Query.parse(text(s.recent_contacts)), defaults=defaults)


def conninfo(url: URL) -> tuple[str, dict[str, Any]]:
    """libpq's connection string for a SQLAlchemy URL, and the connect options it lacks
    (a URL's own connect_timeout or keepalive setting wins, as in `make_engine`)."""
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return plain, pg_connect_args(url)


def _unavailable(err: Exception) -> AdapterError:
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return AdapterError(f"the database is unavailable: {first}", retryable=True)


Connect = Callable[[], Awaitable["psycopg.AsyncConnection[Any]"]]


class PgTurnTx:
    """One turn's transaction; see `warmline.service.ports.TurnTx`."""

    def __init__(self, connection: psycopg.AsyncConnection[Any], *, reused: bool,
                 connect: Connect) -> None:
        self.connection = connection
        self._reused = reused
        self._connect = connect
        self.done = False

    async def load(self, tenant_id: str, conversation_id: str, turn_id: str | None
                   ) -> tuple[StoredConversation | None, Mapping[str, Any] | None]:
        params = {**_sql().defaults, "key": f"{tenant_id}\x1f{conversation_id}",
                  "tenant_id": tenant_id, "id": conversation_id, "turn_id": turn_id}
        try:
            found = await self._rows(_sql().begin_and_load, params)
        except psycopg.OperationalError:
            if not self._reused:
                raise
            # A pooled connection may have died with a database restart: nothing was
            # written yet, so try once more on a new one (the threaded path pings instead).
            await _close_quietly(self.connection)
            self.connection = await self._connect()
            self._reused = False
            found = await self._rows(_sql().begin_and_load, params)
        row = found[0] if found else None  # the load's rows: the last of the three results
        if row is None:
            return None, None
        updated_at = row["updated_at"]
        return StoredConversation(
            tenant_id, conversation_id, row["data"], row["customer_key"], row["handoff_id"],
            None if updated_at is None else updated_at.astimezone(UTC)), row["earlier_decision"]

    async def recent_contacts(self, tenant_id: str, customer_key: str, since: datetime,
                              before: datetime, exclude_conversation: str) -> list[Contact]:
        found = await self._rows(_sql().recent_contacts, {
            "tenant_id": tenant_id, "customer_key": customer_key,
            "exclude": exclude_conversation, "since": as_utc(since), "before": as_utc(before)})
        return [Contact(at=row["started_at"].astimezone(UTC), handoff=row["handoff_id"] is not None,
                        reason=contact_reason(row["decision"]))
                for row in found]

    async def save_and_commit(self, conversation: StoredConversation, turn_id: str | None,
                              decision: Mapping[str, Any], at: datetime) -> None:
        values = rows.conversation_values(conversation)  # as `SqlTx.save_turn_state`
        values.update(data=Json(conversation.data, dumps=dumps),
                      started_at=started_at(conversation.data, conversation.updated_at))
        query = _sql().save_and_commit
        if turn_id is not None:  # the first decision for a turn wins
            values.update(turn_id=turn_id, decision=Json(decision, dumps=dumps),
                          created_at=as_utc(at))
            query = _sql().save_with_decision_and_commit
        await self._rows(query, values)
        self.done = True

    async def _rows(self, query: _Query, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Send one message (one or more statements) and wait for all its results; the rows
        of the last one, by column name. An error result raises psycopg's error for it."""
        connection = self.connection
        adapt = Transformer(connection)
        pgconn = connection.pgconn
        pgconn.send_query(query.render(adapt.as_literal, params))
        results = await connection.wait(execute(pgconn))
        for result in results:
            if result.status == ExecStatus.FATAL_ERROR:
                raise error_from_result(result, encoding=connection.info.encoding)
        last = results[-1]
        if last.status != ExecStatus.TUPLES_OK or not last.ntuples:
            return []
        adapt.set_pgresult(last)
        names = [(last.fname(i) or b"").decode() for i in range(last.nfields)]
        return [dict(zip(names, adapt.load_row(i, tuple), strict=True))
                for i in range(last.ntuples)]


class PgTurnStore:
    """A few async connections per worker process, made on first use on the running loop;
    see `warmline.service.ports.TurnStore`."""

    def __init__(self, url: URL, *, connections: int = CONNECTIONS) -> None:
        self._conninfo, self._connect_args = conninfo(url)
        self._size = connections
        self._idle: list[psycopg.AsyncConnection[Any]] = []
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[PgTurnTx]:
        """A transaction on a pooled connection: rolled back unless `save_and_commit` ran.
        A database error, a cancelled request or a connection left mid-transaction closes
        the connection; the next turn opens a fresh one."""
        loop = asyncio.get_running_loop()
        if self._slots is None or loop is not self._loop:  # connections belong to a loop
            await self.aclose()
            self._loop, self._slots = loop, asyncio.Semaphore(self._size)
        try:
            if self._slots.locked():  # wait_for costs a task: only when we must wait
                await asyncio.wait_for(self._slots.acquire(), POOL_TIMEOUT)
            else:
                await self._slots.acquire()  # a slot is free: returns at once
        except TimeoutError as err:
            raise AdapterError(f"no database connection free in {POOL_TIMEOUT:g} s",
                               retryable=True) from err
        tx: PgTurnTx | None = None
        try:
            reused = bool(self._idle)
            tx = PgTurnTx(self._idle.pop() if reused else await self._connect(),
                          reused=reused, connect=self._connect)
            try:
                yield tx
            except psycopg.Error as err:
                raise _unavailable(err) from err
            except Exception:  # bad input found mid-turn: the connection stays usable
                await _rollback(tx.connection)
                raise
            if not tx.done:
                await _rollback(tx.connection)
        finally:  # also on cancellation, when the transaction's state is unknown
            if tx is not None and (tx.connection.closed or tx.connection.info.transaction_status
                                   != psycopg.pq.TransactionStatus.IDLE):
                await _close_quietly(tx.connection)
            elif tx is not None:
                self._idle.append(tx.connection)
            self._slots.release()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        try:
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, **self._connect_args)
            await connection.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        except psycopg.Error as err:
            raise _unavailable(err) from err
        return connection

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close_quietly(connection)


async def _rollback(connection: psycopg.AsyncConnection[Any]) -> None:
    """Roll back; if that fails the connection is left mid-transaction and gets closed."""
    with contextlib.suppress(psycopg.Error):
        await connection.execute("ROLLBACK")


async def _close_quietly(connection: psycopg.AsyncConnection[Any]) -> None:
    with contextlib.suppress(Exception):
        await connection.close()


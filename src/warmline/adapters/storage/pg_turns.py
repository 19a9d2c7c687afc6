"""The hot path's PostgreSQL transaction on the event loop: psycopg's async connections, no
worker threads, two round trips per turn.

A turn through `SqlStore` costs five round trips (BEGIN, the conversation lock, the load,
the save, COMMIT), each through SQLAlchemy and a worker thread whose return fights the event
loop for the GIL. Here the statements go in libpq's pipeline mode, two batches per turn,
each written at once and answered at once:

1. ``BEGIN``, ``SELECT pg_advisory_xact_lock(...)``, ``SELECT <conversation + this turn's
   decision>``, Sync — PostgreSQL runs them in order, so the load's READ COMMITTED snapshot
   is taken after the lock is held and sees what the lock's previous holder committed;
2. ``INSERT ... ON CONFLICT DO UPDATE`` (the conversation) [+ the turn's decision],
   ``COMMIT``, Sync.

The statements are `SqlStore`'s own (`statements.py`, compiled once), so this path and the
threaded one take the same conversation lock and write the same rows. Each connection
prepares them once, when it opens: PostgreSQL then neither parses nor plans them per turn,
and every value travels as a separate protocol parameter (never spliced into the SQL, so
nothing needs quoting). Prepared and pipelined, a turn cost PostgreSQL about 30 % less CPU
and this process about 15 % less than one simple-protocol message per batch
(docs/scaling.md, session 7).

Errors from the connection become the retryable `AdapterError` every other path raises
(503 + Retry-After); a connection that failed, or whose transaction did not finish, is
closed, never reused."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from psycopg.adapt import Transformer
from psycopg.errors import error_from_result
from psycopg.generators import execute, fetch_many
from psycopg.pq import ExecStatus
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
    """A prepared statement: its name on every connection, its SQL with ``$n`` parameters
    (compiled from SQLAlchemy's ``%(name)s`` placeholders; a name used twice is one
    parameter) and the value names in parameter order."""

    name: bytes
    sql: bytes
    names: tuple[str, ...]

    @classmethod
    def parse(cls, name: str, sql: str) -> _Query:
        parts = _PLACEHOLDER.split(sql)
        names: list[str] = []
        out = [parts[0]]
        for value_name, text in zip(parts[1::2], parts[2::2], strict=True):
            if value_name not in names:
                names.append(value_name)
            out.append(f"${names.index(value_name) + 1}{text}")
        return cls(name.encode(), "".join(out).replace("%%", "%").encode(), tuple(names))

    def values(self, params: Mapping[str, Any]) -> list[bytes | None]:
        """Each parameter in PostgreSQL's text format (a missing one is a KeyError)."""
        return [_text(params[name]) for name in self.names]


def _text(value: Any) -> bytes | None:
    """A parameter in PostgreSQL's text input format; each statement casts its parameters
    (``::VARCHAR``, ``::JSON``, ``::TIMESTAMP WITH TIME ZONE``), so no type is sent."""
    if value is None:
        return None
    if isinstance(value, str):
        out = value.encode()
    elif isinstance(value, bool):
        out = b"true" if value else b"false"
    elif isinstance(value, int):
        out = str(value).encode()
    elif isinstance(value, datetime):
        out = as_utc(value).isoformat().encode()
    elif isinstance(value, Mapping | list):
        out = dumps(value).encode()  # JSON escapes a NUL as \u0000
    else:
        raise TypeError(f"no PostgreSQL text form for a {type(value).__name__} parameter")
    if b"\x00" in out:  # libpq reads a text parameter up to its first NUL: refuse, never cut
        raise ValueError("a PostgreSQL text parameter cannot hold a NUL character")
    return out


@dataclass(frozen=True, slots=True)
class _Sql:
    """The threaded path's own statements (`statements.py`), compiled once: one source for
    the SQL, the lock key and the column lists."""

    lock: _Query
    load: _Query
    save: _Query
    save_with_decision: _Query
    recent_contacts: _Query
    defaults: Mapping[str, Any]
    """Values SQLAlchemy bound itself (the lock's namespace)."""

    @property
    def all(self) -> tuple[_Query, ...]:
        return (self.lock, self.load, self.save, self.save_with_decision,
                self.recent_contacts)


@cache
def _sql() -> _Sql:
    dialect = make_url("postgresql+psycopg://").get_dialect()()
    s = statements("postgresql")
    defaults: dict[str, Any] = {}

    def query(name: str, statement: Any) -> _Query:
        compiled = statement.compile(dialect=dialect)
        defaults.update((k, v) for k, v in compiled.params.items() if v is not None)
        return _Query.parse(f"warmline_turn_{name}", str(compiled))

    return _Sql(lock=query("lock", s.lock_conversation), load=query("load", s.load_turn_state),
                save=query("save", s.save_conversation),
                save_with_decision=query("save_with_decision", s.save_turn_state),
                recent_contacts=query("recent_contacts", s.recent_contacts),
                defaults=defaults)


def conninfo(url: URL) -> tuple[str, dict[str, Any]]:
    """libpq's connection string for a SQLAlchemy URL, and the connect options it lacks
    (a URL's own connect_timeout or keepalive setting wins, as in `make_engine`)."""
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return plain, pg_connect_args(url)


def _unavailable(err: Exception) -> AdapterError:
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return AdapterError(f"the database is unavailable: {first}", retryable=True)


#: A pipeline step: a prepared statement with its values, or a plain command (BEGIN, COMMIT).
Step = tuple[_Query, Mapping[str, Any]] | bytes


async def _pipeline(connection: psycopg.AsyncConnection[Any], steps: Sequence[Step]
                    ) -> list[psycopg.pq.abc.PGresult]:
    """Send `steps` and a Sync in one write and read every answer; the last result of each
    step, in order. The first error raises psycopg's error for it (PostgreSQL skipped the
    steps after it), once the pipeline is drained, so the connection's state is known."""
    sends = [(step, None) if isinstance(step, bytes) else (step[0].name, step[0].values(step[1]))
             for step in steps]  # every value converted before anything is sent
    pgconn = connection.pgconn
    pgconn.enter_pipeline_mode()
    for name, values in sends:
        if values is None:
            pgconn.send_query_params(name, None)
        else:
            pgconn.send_query_prepared(name, values)
    return await _sync(connection)


async def _sync(connection: psycopg.AsyncConnection[Any]) -> list[psycopg.pq.abc.PGresult]:
    """End the pipeline `connection` is in: Sync, write, read every answer, leave pipeline
    mode; the last result of each step, or psycopg's error for the first that failed."""
    pgconn = connection.pgconn
    pgconn.pipeline_sync()
    answers = [await connection.wait(execute(pgconn))]  # flush, then the first answer
    while answers[-1][-1].status != ExecStatus.PIPELINE_SYNC:
        answers.append(await connection.wait(fetch_many(pgconn)))
        if not answers[-1]:  # no Sync answer will come: the connection is unusable
            raise psycopg.OperationalError("the connection ended a pipeline early")
    pgconn.exit_pipeline_mode()
    for results in answers:
        for result in results:
            if result.status == ExecStatus.FATAL_ERROR:
                raise error_from_result(result, encoding=connection.info.encoding)
    return [results[-1] for results in answers[:-1]]


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
        steps: list[Step] = [b"BEGIN", (_sql().lock, params), (_sql().load, params)]
        try:
            found = await self._rows(steps)
        except psycopg.OperationalError:
            if not self._reused:
                raise
            # A pooled connection may have died with a database restart: nothing was
            # written yet, so try once more on a new one (the threaded path pings instead).
            await _close_quietly(self.connection)
            self.connection = await self._connect()
            self._reused = False
            found = await self._rows(steps)
        row = found[0] if found else None
        if row is None:
            return None, None
        updated_at = row["updated_at"]
        return StoredConversation(
            tenant_id, conversation_id, row["data"], row["customer_key"], row["handoff_id"],
            None if updated_at is None else updated_at.astimezone(UTC)), row["earlier_decision"]

    async def recent_contacts(self, tenant_id: str, customer_key: str, since: datetime,
                              before: datetime, exclude_conversation: str) -> list[Contact]:
        found = await self._rows([(_sql().recent_contacts, {
            "tenant_id": tenant_id, "customer_key": customer_key,
            "exclude": exclude_conversation, "since": since, "before": before})])
        return [Contact(at=row["started_at"].astimezone(UTC), handoff=row["handoff_id"] is not None,
                        reason=contact_reason(row["decision"]))
                for row in found]

    async def save_and_commit(self, conversation: StoredConversation, turn_id: str | None,
                              decision: Mapping[str, Any], at: datetime) -> bool:
        """Always True: the conversation was loaded under its lock."""
        values = rows.conversation_values(conversation)  # as `SqlTx.save_turn_state`
        values["started_at"] = started_at(conversation.data, conversation.updated_at)
        query = _sql().save
        if turn_id is not None:  # the first decision for a turn wins
            values.update(turn_id=turn_id, decision=decision, created_at=at)
            query = _sql().save_with_decision
        await self._rows([(query, values), b"COMMIT"])
        self.done = True
        return True

    async def _rows(self, steps: Sequence[Step]) -> list[dict[str, Any]]:
        """Run `steps` as one pipeline; the rows of the last statement that returns rows,
        by column name."""
        connection = self.connection
        results = await _pipeline(connection, steps)
        last = next((r for r in reversed(results) if r.status == ExecStatus.TUPLES_OK), None)
        if last is None or not last.ntuples:
            return []
        adapt = Transformer(connection)
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
                                   != psycopg.pq.TransactionStatus.IDLE
                                   or tx.connection.pgconn.pipeline_status
                                   != psycopg.pq.PipelineStatus.OFF):
                await _close_quietly(tx.connection)
            elif tx is not None:
                self._idle.append(tx.connection)
            self._slots.release()

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        try:
            connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True, **self._connect_args)
            await _prepare(connection)
        except psycopg.Error as err:
            raise _unavailable(err) from err
        return connection

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close_quietly(connection)


async def _prepare(connection: psycopg.AsyncConnection[Any]) -> None:
    """Set up a new connection in one round trip: the statement timeout every session of
    ours has, and the turn's prepared statements."""
    pgconn = connection.pgconn
    pgconn.enter_pipeline_mode()
    pgconn.send_query_params(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}".encode(), None)
    for query in _sql().all:
        pgconn.send_prepare(query.name, query.sql)
    await _sync(connection)


async def _rollback(connection: psycopg.AsyncConnection[Any]) -> None:
    """Roll back; if that fails the connection is left mid-transaction and gets closed."""
    with contextlib.suppress(psycopg.Error):
        await connection.execute("ROLLBACK")


async def _close_quietly(connection: psycopg.AsyncConnection[Any]) -> None:
    with contextlib.suppress(Exception):
        await connection.close()


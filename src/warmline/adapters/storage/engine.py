"""Building a SQLAlchemy engine from a `--db` URL: SQLite (WAL, one writer per transaction
via BEGIN IMMEDIATE) or PostgreSQL through psycopg 3. Engines are built on request only."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

from warmline.core.errors import AdapterError, Conflict, InvalidInput

from .records import dumps

DEFAULT_URL = "sqlite:///warmline.db"

# Bounds that turn a dead or stuck database into a quick 503 instead of a hung request:
# a request waits at most CONNECT_TIMEOUT to reach the server (a black-holed host), a
# statement (or a lock wait) at most STATEMENT_TIMEOUT_MS, and a pool slot at most
# POOL_TIMEOUT. Keepalives notice a peer that vanished without closing the connection.
CONNECT_TIMEOUT = 3
STATEMENT_TIMEOUT_MS = 10_000
POOL_TIMEOUT = 5.0
_PG_CONNECT_ARGS = {"connect_timeout": CONNECT_TIMEOUT, "keepalives": 1,
                    "keepalives_idle": 10, "keepalives_interval": 3, "keepalives_count": 3}


class SchemaNotCurrent(AdapterError):
    """The database's schema is not the code's: it has not been migrated (or is newer)."""


#: SQLite pages (4 KiB) of WAL after which a committing writer checkpoints by itself.
WAL_AUTOCHECKPOINT_PAGES = 20_000

#: Execution option marking a connection whose transaction only reads.
READ_ONLY = "warmline_read_only"


def database_url(url: str) -> URL:
    """The URL SQLAlchemy should use: `postgresql://` and `postgres://` mean psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise InvalidInput(f"database URL {url!r} is not a URL (try {DEFAULT_URL})") from err
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise InvalidInput(f"database URL scheme {parsed.drivername!r} is not supported: "
                           "use sqlite:///FILE or postgresql://USER@HOST/DB")
    return parsed


def safe_url(url: str | URL) -> str:
    """The URL for messages: the password hidden."""
    parsed = url if isinstance(url, URL) else make_url(url)
    return parsed.render_as_string(hide_password=True)


def make_engine(url: str, *, foreign_keys: bool = True, echo: bool = False) -> Engine:
    """An engine for `url`. Migrations pass `foreign_keys=False`: SQLite's batch mode copies
    tables, and dropping the old copy with foreign keys on would cascade-delete rows."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, echo=echo, json_serializer=dumps)
        _configure_sqlite(engine, foreign_keys=foreign_keys)
        return engine
    engine = sa.create_engine(parsed, echo=echo, json_serializer=dumps, pool_size=10,
                              max_overflow=20, pool_timeout=POOL_TIMEOUT,
                              connect_args=pg_connect_args(parsed))
    _ping_idle_connections(engine)
    if foreign_keys:  # i.e. not a migration, which may rightly run for minutes
        _set_statement_timeout(engine)
    return engine


def pg_connect_args(url: URL) -> dict[str, Any]:
    """Our connect and keepalive bounds, except where the URL sets its own (the URL wins)."""
    return {k: v for k, v in _PG_CONNECT_ARGS.items() if k not in url.query}


#: A pooled connection idle longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """After a database restart every pooled connection is dead: a ping at checkout finds
    that and reconnects, so the first request after a restart succeeds. SQLAlchemy's
    `pool_pre_ping` pings at every checkout — a round trip per turn under load — so ping
    only connections that sat idle (a restart takes seconds; a connection used a moment ago
    would have failed its own request already, and the pool then drops them all)."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as err:  # any failure: the pool discards it and connects anew
            raise exc.DisconnectionError(f"stale pooled connection: {err}") from err


def _set_statement_timeout(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Set per session, not in the URL's `options`, which callers use for search_path.
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        dbapi_connection.commit()


def _configure_sqlite(engine: Engine, *, foreign_keys: bool) -> None:
    """The SQLAlchemy recipe for pysqlite: stop the driver's own BEGIN, emit ours."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # None turns off pysqlite's implicit (and late) BEGIN; `_on_begin` emits it instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            # A commit that fills the WAL past this many pages copies it into the database
            # (and fsyncs) itself. A server checkpoints in the background every second
            # (`SqlStore.checkpoint`), so this is the safety net, not the normal path.
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # IMMEDIATE takes the write lock up front: a deferred read-then-write transaction
        # fails with "database is locked" under contention, whatever busy_timeout says.
        # Read-only transactions (`SqlStore.read`) begin deferred: WAL readers never wait.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def mapped_errors(url: str) -> Iterator[None]:
    """A store's database errors as the service's: a unique or foreign key clash is a
    `Conflict`; a lost or unreachable database a retryable `AdapterError` (503 +
    Retry-After); any other driver error a plain `AdapterError`."""
    try:
        yield
    except (IntegrityError, sqlite3.IntegrityError) as err:
        raise Conflict(f"the write conflicts with stored data: {first_line(err)}") from err
    except (OperationalError, sqlite3.OperationalError) as err:
        raise AdapterError(f"database {url} failed: {first_line(err)}",
                           retryable=True) from err
    except (DBAPIError, sqlite3.Error) as err:  # sqlite3's own: the lean SQLite turn path
        raise AdapterError(f"database {url} failed: {first_line(err)}") from err


def first_line(err: Exception) -> str:
    """The first line of a database error: the driver's, where SQLAlchemy wrapped it."""
    orig = getattr(err, "orig", None)
    return (str(orig or err).strip().splitlines() or [type(err).__name__])[0]

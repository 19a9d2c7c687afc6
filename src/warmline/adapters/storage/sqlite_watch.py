"""`watch_events`: how a worker on SQLite learns that another worker committed an event.

SQLite has no LISTEN. Each process's event streams wake at once for events this process
commits; for another process's, they used to re-read the log every half second, which made
the notify latency with two workers mostly that wait (docs/scaling.md, session 8). Instead
one task per process reads the newest event id every `WATCH_SECONDS` — an index lookup —
and wakes the streams when it moved."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, TypeGuard

from warmline.adapters.storage.sql import SqlStore

log = logging.getLogger(__name__)

#: Seconds between two looks at the newest event id.
WATCH_SECONDS = 0.02


def watches(store: object) -> TypeGuard[SqlStore]:
    """Whether `store` needs watching: a SQLite store, which other processes may share."""
    return isinstance(store, SqlStore) and store.engine.dialect.name == "sqlite"


async def watch_events(store: SqlStore, wake: Callable[[], None],
                       seconds: float = WATCH_SECONDS) -> None:
    """Forever: call `wake()` whenever the newest event id of any tenant has changed."""
    raw: Any = None
    last: int | None = None
    try:
        while True:
            await asyncio.sleep(seconds)
            try:
                if raw is None:
                    raw = store.engine.raw_connection()
                row = raw.driver_connection.execute("SELECT max(id) FROM events").fetchone()
            except sqlite3.Error as err:  # e.g. the file is briefly locked for a schema change
                log.warning("cannot read the newest event id (%s); retrying", err)
                if raw is not None:
                    raw.close()
                    raw = None
                continue
            newest = int(row[0] or 0)
            if last is not None and newest != last:
                wake()
            last = newest
    finally:
        if raw is not None:
            raw.close()

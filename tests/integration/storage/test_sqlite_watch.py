"""`watch_events`: a worker on SQLite wakes its event streams when another process commits
an event, and not while nothing changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from warmline.adapters.storage.sql import SqlStore
from warmline.adapters.storage.sqlite_watch import watch_events, watches
from warmline.core.handoff import Tenant


def test_another_writers_event_wakes_the_streams_and_quiet_does_not(
        sqlite_url: str, emptier: Callable[[SqlStore], None]) -> None:
    watched, other = SqlStore(sqlite_url), SqlStore(sqlite_url)  # as two workers
    emptier(other)
    with other.transaction() as tx:
        tx.create_tenant(Tenant(id="t-acme", name="Acme"))
    wakes: list[float] = []

    async def go() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        task = asyncio.create_task(watch_events(watched, lambda: wakes.append(loop.time()),
                                                seconds=0.01))
        await asyncio.sleep(0.15)  # nothing happens: no wake
        quiet = len(wakes)
        with other.transaction() as tx:
            tx.add_event("t-acme", "handoff.created", {"handoff_id": "h1"},
                         datetime(2026, 11, 24, tzinfo=UTC))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if wakes:
                break
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return quiet, len(wakes)

    try:
        quiet, woken = asyncio.run(go())
    finally:
        watched.close()
        other.close()
    assert quiet == 0
    assert woken == 1


def test_only_sqlite_stores_are_watched(sqlite_url: str) -> None:
    store = SqlStore(sqlite_url)
    try:
        assert watches(store)
        assert not watches(object())
    finally:
        store.close()

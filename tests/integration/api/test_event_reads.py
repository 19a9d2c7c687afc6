"""Where a desk stream's store calls run: on the event loop for SQLite and the memory store
(a worker thread waits for the GIL behind a busy loop), in a worker thread for PostgreSQL
(its reads are network round trips that must not block the loop)."""

from __future__ import annotations

import asyncio
import threading

import pytest

from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.web.events import _store_call


def thread_of_store_call(db: str) -> tuple[int, int]:
    services = build_services(Settings(db=db, policy="saas", outbox_seconds=0))

    async def go() -> tuple[int, int]:
        return threading.get_ident(), await _store_call(services, threading.get_ident)

    try:
        return asyncio.run(go())
    finally:
        services.close()


def test_sqlite_stream_reads_run_on_the_event_loop(empty_sqlite_url: str) -> None:
    loop_thread, call_thread = thread_of_store_call(empty_sqlite_url)
    assert call_thread == loop_thread


@pytest.mark.postgres
def test_postgresql_stream_reads_run_in_a_worker_thread(pg_url: str) -> None:
    loop_thread, call_thread = thread_of_store_call(pg_url)
    assert call_thread != loop_thread

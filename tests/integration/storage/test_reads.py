"""Read-only transactions on SQLite do not queue behind a writer (WAL readers see the last
commit), so desk polling and GETs stay fast while turns are being written."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from warmline.adapters.storage.sql import SqlStore
from warmline.core.handoff import Tenant


def test_a_read_completes_while_a_write_transaction_is_open(empty_sqlite_url: str) -> None:
    store = SqlStore(empty_sqlite_url)
    with store.transaction() as tx:
        tx.create_tenant(Tenant(id="t-1", name="acme"))
    writing = threading.Event()
    release = threading.Event()

    def hold_the_writer() -> None:
        with store.transaction() as tx:
            tx.add_event("t-1", "x", {}, datetime.now(UTC))
            writing.set()
            release.wait(5)

    writer = threading.Thread(target=hold_the_writer)
    writer.start()
    assert writing.wait(5)
    started = time.perf_counter()
    with store.read() as tx:
        tenant = tx.get_tenant("t-1")
        latest = tx.latest_event_id("t-1")
    elapsed = time.perf_counter() - started
    release.set()
    writer.join()
    store.close()
    assert tenant is not None
    assert latest == 0  # the uncommitted event is not visible
    assert elapsed < 0.5

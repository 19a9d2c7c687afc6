"""`listen_for_events`: a PostgreSQL LISTEN on the events channel that calls `wake()` for
each notification, so every worker's event streams wake at once when any worker commits an
event. One dedicated connection per process; it reconnects after a database restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import psycopg

from warmline.adapters.storage.sql import EVENTS_CHANNEL, SqlStore

log = logging.getLogger(__name__)
RETRY_SECONDS = 1.0


def listen_url(store: object) -> str | None:
    """The libpq URL to LISTEN on for a store, or None unless it is a PostgreSQL store."""
    if not isinstance(store, SqlStore):
        return None
    url = store.engine.url
    if url.get_backend_name() != "postgresql":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen_for_events(url: str, wake: Callable[[str], None],
                            ready: asyncio.Event | None = None) -> None:
    """Forever: LISTEN, and call `wake(tenant_id)` for every notification."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                if ready is not None:
                    ready.set()
                async for note in conn.notifies():
                    wake(note.payload)
        except asyncio.CancelledError:
            raise
        except (psycopg.Error, OSError) as err:
            log.warning("event listener lost the database (%s); retrying", err)
            await asyncio.sleep(RETRY_SECONDS)

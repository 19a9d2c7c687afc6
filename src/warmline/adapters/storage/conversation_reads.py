"""A tenant's stored conversations, newest first, streamed (what-if, issue 21): the last N
or those last updated in a window, one at a time, so memory stays flat in the window's
size."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from warmline.service.ports import Store

from .memory import InMemoryStore
from .records import as_utc
from .sql import SqlStore
from .tables import conversations

#: Rows fetched per round trip while streaming.
BATCH = 200


def stored_conversations(store: Store, tenant_id: str, *, last: int | None = None,
                         since: datetime | None = None, until: datetime | None = None
                         ) -> Iterator[Mapping[str, Any]]:
    """The conversations' stored JSON (masked as stored), newest update first."""
    if isinstance(store, SqlStore):
        yield from _sql(store, tenant_id, last, since, until)
    elif isinstance(store, InMemoryStore):
        yield from _memory(store, tenant_id, last, since, until)


def _sql(store: SqlStore, tenant_id: str, last: int | None, since: datetime | None,
         until: datetime | None) -> Iterator[Mapping[str, Any]]:
    c = conversations.c
    query = sa.select(c.data).where(c.tenant_id == tenant_id)
    if since is not None:
        query = query.where(c.updated_at >= as_utc(since))
    if until is not None:
        query = query.where(c.updated_at < as_utc(until))
    query = query.order_by(c.updated_at.desc(), c.id)
    if last is not None:
        query = query.limit(last)
    with store.engine.connect() as connection:
        result = connection.execution_options(yield_per=BATCH).execute(query)
        for row in result:
            yield row.data


def _memory(store: InMemoryStore, tenant_id: str, last: int | None, since: datetime | None,
            until: datetime | None) -> Iterator[Mapping[str, Any]]:
    with store.read() as tx:
        found = [s for (tid, _), s in tx._t.conversations.items()
                 if tid == tenant_id and s.updated_at is not None
                 and (since is None or s.updated_at >= since)
                 and (until is None or s.updated_at < until)]
    found.sort(key=lambda s: (s.updated_at, s.id), reverse=True)
    for stored in found[:last] if last is not None else found:
        yield stored.data

"""`warmline db redact`: mask, under each tenant's current `redact:` list, the text that was
stored before it was masked on write (an older Warmline, or a list that has grown).

Row by row in primary-key order, a batch per transaction, so a live server keeps serving:
a conversation is rewritten under the same lock the turn path takes (PostgreSQL's advisory
lock; SQLite's single writer) and only if it still holds what was read. A row that masks to
itself is left alone, so a second run changes nothing. On SQLite the file is then vacuumed
and the WAL truncated, so the old text leaves the files too."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from warmline.core.decision.masking import Masker, masker_for
from warmline.core.policy.model import Policy

from .engine import mapped_errors
from .sql import SqlStore
from .statements import statements
from .tables import conversations, decisions, handoffs, outbox

BATCH = 500


@dataclass
class Tally:
    """What one table held for one tenant: rows read, rows masked (or to mask)."""

    table: str
    rows: int = 0
    changed: int = 0
    busy: int = 0
    """Rows another writer changed between the read and the write: left for the next run."""


Progress = Callable[[Tally], None]


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    mask: Callable[[Masker, Any], Any]
    is_json: bool = True


def _decision(masker: Masker, value: Any) -> Any:
    return masker.decision(value) if isinstance(value, Mapping) else value


def _payload(masker: Masker, value: Any) -> Any:
    if not isinstance(value, Mapping) or not isinstance(value.get("data"), Mapping):
        return value
    data = masker.decision(value["data"])
    return value if data is value["data"] else {**value, "data": data}


def _text(masker: Masker, value: Any) -> Any:
    return masker.text(value) if isinstance(value, str) else value


def _conversation(masker: Masker, value: Any) -> Any:
    return masker.conversation(value) if isinstance(value, Mapping) else value


@dataclass(frozen=True, slots=True)
class _Table:
    table: sa.Table
    conversation_of: Callable[[Mapping[str, Any]], str | None]
    columns: tuple[_Column, ...]


_TABLES = (
    _Table(conversations, lambda row: row["id"], (_Column("data", _conversation),)),
    _Table(decisions, lambda row: row["conversation_id"], (_Column("decision", _decision),)),
    _Table(handoffs, lambda row: row["conversation_id"],
           (_Column("decision", _decision), _Column("note", _text, is_json=False),
            _Column("outcome", _text, is_json=False))),
    _Table(outbox, lambda row: (row["payload"].get("data") or {}).get("conversation_id")
           if isinstance(row["payload"], Mapping) else None, (_Column("payload", _payload),)),
)
TABLES = tuple(t.table.name for t in _TABLES)


def remask_tenant(store: SqlStore, tenant_id: str, policy: Policy, *, dry_run: bool = False,
                  progress: Progress | None = None, batch: int = BATCH) -> list[Tally]:
    """Mask one tenant's stored text under ``policy``; a tally per table."""
    tallies = []
    for spec in _TABLES:
        tally = Tally(spec.table.name)
        for rows in _batches(store, spec.table, tenant_id, batch):
            _mask_batch(store, spec, rows, policy, tally, dry_run=dry_run)
            if progress is not None:
                progress(tally)
        tallies.append(tally)
    return tallies


def compact(store: SqlStore) -> bool:
    """SQLite: rewrite the file and empty the WAL, so replaced text is gone from both; False
    when another connection holds the database (run it again when the server is idle).
    PostgreSQL: nothing (old row versions stay until VACUUM reclaims them)."""
    if store.engine.dialect.name != "sqlite":
        return False
    try:
        with store.engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sa.exc.OperationalError:
        return False
    return True


def _batches(store: SqlStore, table: sa.Table, tenant_id: str, size: int
             ) -> Iterator[list[dict[str, Any]]]:
    """The tenant's rows in primary-key order, `size` at a time, JSON as stored (text)."""
    keys = [c for c in table.primary_key.columns if c.name != "tenant_id"]
    columns = [sa.cast(c, sa.Text).label(c.name) if isinstance(c.type, sa.JSON) else c
               for c in table.columns]
    after: tuple[Any, ...] | None = None
    while True:
        query = sa.select(*columns).where(table.c.tenant_id == tenant_id)
        if after is not None:
            query = query.where(sa.tuple_(*keys) > sa.tuple_(*after))
        with mapped_errors(store.url), store.engine.connect() as connection:
            found = [dict(row._mapping) for row in connection.execute(
                query.order_by(*keys).limit(size))]
        if not found:
            return
        yield found
        after = tuple(found[-1][k.name] for k in keys)


def _mask_batch(store: SqlStore, spec: _Table, rows: Sequence[dict[str, Any]], policy: Policy,
                tally: Tally, *, dry_run: bool) -> None:
    customers = _customers(store, spec, rows, policy)
    changes = []
    for row in rows:
        tally.rows += 1
        new = _masked_row(spec, row, policy, customers)
        if new:
            tally.changed += 1
            changes.append((row, new))
    if dry_run or not changes:
        return
    table = spec.table
    keys = list(table.primary_key.columns)
    lock = statements(store.engine.dialect.name).lock_conversation
    with mapped_errors(store.url), store.writer, store.engine.begin() as connection:
        for row, new in changes:
            conversation = spec.conversation_of(_parsed(spec, row))
            if lock is not None and conversation is not None and table is conversations:
                connection.execute(lock, {"key": f"{row['tenant_id']}\x1f{conversation}"})
            unchanged = [sa.cast(table.c[name], sa.Text) == row[name]
                         if col.is_json else table.c[name] == row[name]
                         for col in spec.columns for name in (col.name,)
                         if row[name] is not None]
            done = connection.execute(sa.update(table).where(
                *(k == row[k.name] for k in keys), *unchanged).values(new))
            if done.rowcount != 1:
                tally.changed -= 1
                tally.busy += 1


def _parsed(spec: _Table, row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for col in spec.columns:
        if col.is_json and isinstance(out[col.name], str):
            out[col.name] = json.loads(out[col.name])
    return out


def _masked_row(spec: _Table, row: Mapping[str, Any], policy: Policy,
                customers: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of ``row`` that masking changes, with their new values."""
    parsed = _parsed(spec, row)
    conversation = spec.conversation_of(parsed)
    customer = (parsed["data"].get("customer") if spec.table is conversations
                else customers.get(conversation or ""))
    masker = masker_for(policy, customer)
    if masker is None:
        return {}
    new = {}
    for col in spec.columns:
        value = parsed[col.name]
        masked = col.mask(masker, value)
        if masked != value:
            new[col.name] = masked
    return new


def _customers(store: SqlStore, spec: _Table, rows: Sequence[Mapping[str, Any]],
               policy: Policy) -> dict[str, Any]:
    """The customer records of the batch's conversations, where masking depends on them
    (names; phone numbers without the policy's country)."""
    if spec.table is conversations or not (
            "name" in policy.redact or ("phone" in policy.redact and policy.country is None)):
        return {}
    ids = {i for i in (spec.conversation_of(_parsed(spec, r)) for r in rows) if i}
    if not ids:
        return {}
    tenant_id = rows[0]["tenant_id"]
    c = conversations
    with mapped_errors(store.url), store.engine.connect() as connection:
        found = connection.execute(sa.select(c.c.id, c.c.data).where(
            c.c.tenant_id == tenant_id, c.c.id.in_(sorted(ids))))
        return {row.id: (row.data or {}).get("customer") for row in found}

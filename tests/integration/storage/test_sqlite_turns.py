"""The lean turn path on SQLite (`SqliteTurnStore`, `TurnService.post_turns_async`): the
same answers and byte-for-byte the same rows as SQLAlchemy's path, nothing written when it
hands over, a conversation changed since it was read never overwritten, no turn lost beside
threaded writers, and SQLite's errors mapped as `SqlStore` maps them."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from warmline.adapters.storage.sqlite_turns import SqliteTurnStore
from warmline.bootstrap import Services
from warmline.core.errors import AdapterError, ConversationError
from warmline.service.turns import LEAN_ATTEMPTS
from warmline.testing import FakeClock, post_lean

AT = "2026-11-24T15:00:{:02d}-06:00"


def turn(text: str, n: int = 0, **extra: Any) -> dict[str, Any]:
    return {"speaker": "customer", "text": text, "at": AT.format(n), **extra}


@pytest.fixture
def services(sqlite_url: str, services_on: Callable[..., Services]) -> Services:
    clock = FakeClock(datetime(2026, 11, 24, 21, 0, 7, 123456, tzinfo=UTC))  # fixed times
    return services_on(sqlite_url, clock=clock)


def fast(services: Services) -> SqliteTurnStore:
    store = services.fast_turns
    assert isinstance(store, SqliteTurnStore)
    return store


def raw_rows(sqlite_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows exactly as SQLite holds them, read past SQLAlchemy."""
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def test_a_plain_turn_is_stored_byte_for_byte_as_sqlalchemy_stores_it(
        services: Services, sqlite_url: str) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    bodies: list[dict[str, Any]] = [
        {"customer": {"id": "cust-9", "name": "Ana"}, "channel": "chat",
         "turns": [turn("My invoice looks wrong this month", 0, id="t-1")]},
        {"turns": [turn("when does the hold drop off? naïve café ✓", 5, id="t-2")]},
        {"turns": [turn("and a turn with no id", 7)]}]
    answers = [post_lean(services, "fast", body) for body in bodies]
    expected = [services.turns.post_turns(tenant, "slow", body) for body in bodies]
    for got, want in zip(answers, expected, strict=True):
        assert got is not None
        assert {**got, "conversation_id": "x", "latency_ms": 0} == {
            **want, "conversation_id": "x", "latency_ms": 0}
    columns = "data, customer_key, handoff_id, started_at, typeof(updated_at), length(updated_at)"
    fast_row, slow_row = (raw_rows(sqlite_url, f"SELECT {columns} FROM conversations WHERE id = ?",
                                   conv) for conv in ("fast", "slow"))
    assert len(fast_row) == 1
    assert fast_row[0][1:] == slow_row[0][1:]
    assert fast_row[0][0] == slow_row[0][0].replace('"slow"', '"fast"')
    assert '"naïve café ✓' in fast_row[0][0] or "na\\u00efve" in fast_row[0][0]
    decisions = "SELECT turn_id, decision, typeof(created_at) FROM decisions " \
                "WHERE conversation_id = ? ORDER BY turn_id"
    fast_decisions = raw_rows(sqlite_url, decisions, "fast")
    assert [d[0] for d in fast_decisions] == ["t-1", "t-2"]
    assert [d[2] for d in fast_decisions] == [d[2] for d in raw_rows(sqlite_url, decisions,
                                                                       "slow")]
    with services.store.read() as tx:  # and SQLAlchemy reads back what was written
        found = tx.get_conversation(tenant.id, "fast")
        assert found is not None
        assert found.customer_key == "id:cust-9"
        assert found.updated_at is not None
        assert found.updated_at.tzinfo is not None
        assert tx.find_decision(tenant.id, "fast", "t-2") == answers[1]


def test_repeat_contacts_are_read_as_the_threaded_path_reads_them(services: Services) -> None:
    """The saas policy looks back at the customer's earlier conversations: the lean path's
    read of them must decide as SQLAlchemy's does (two tenants with the same history)."""
    one, two = (services.tenants.ensure_tenant(name) for name in ("acme", "globex"))
    customer = {"id": "cust-7"}
    for tenant in (one, two):
        for n in range(3):
            services.turns.post_turns(tenant, f"earlier-{n}", {
                "customer": customer, "turns": [turn("my invoice is wrong again", n)]})
    body = {"customer": customer, "turns": [turn("the invoice is wrong, third time", 30)]}
    got = post_lean(services, "now", body)
    want = services.turns.post_turns(two, "now", body)
    assert got is not None
    assert got["signals"]["repeat_contacts"] == want["signals"]["repeat_contacts"] == 3
    assert {**got, "latency_ms": 0} == {**want, "latency_ms": 0}


def test_bad_input_mid_turn_rolls_back_and_frees_the_writer(services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    store = fast(services)

    async def go() -> None:
        bad = {"channel": "fax", "turns": [turn("hi")]}
        with pytest.raises(ConversationError):
            await services.turns.post_turns_async(tenant, "c", bad, store)
        await services.turns.post_turns_async(tenant, "c", {"turns": [turn("hi")]}, store)
        await store.aclose()

    asyncio.run(go())
    assert not services.store.writer.locked()  # type: ignore[attr-defined]
    with services.store.read() as tx:
        found = tx.get_conversation(tenant.id, "c")
    assert found is not None
    assert [t["text"] for t in found.data["turns"]] == ["hi"]


def test_a_database_locked_past_the_busy_timeout_is_a_retryable_error(
        services: Services, sqlite_url: str) -> None:
    """Another process holding the write lock: a retryable error (503), not a hang, and
    the next turn, once the lock is gone, succeeds on the same connection."""
    tenant = services.tenants.ensure_tenant("acme")
    store = fast(services)
    blocker = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    released = threading.Event()

    async def go() -> Any:
        store._connection().execute("PRAGMA busy_timeout = 50")
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(AdapterError) as failed:
                await services.turns.post_turns_async(tenant, "c", {"turns": [turn("hi")]},
                                                      store)
        finally:
            blocker.execute("ROLLBACK")
            released.set()
        assert failed.value.retryable
        assert "database is locked" in str(failed.value)
        result = await services.turns.post_turns_async(tenant, "c", {"turns": [turn("hi")]},
                                                       store)
        await store.aclose()
        return result

    try:
        assert asyncio.run(go()) is not None
    finally:
        blocker.close()
    assert released.is_set()


def test_a_conversation_changed_since_it_was_read_is_not_overwritten(
        services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    post_lean(services, "c", {"turns": [turn("hi there", 0, id="t-0")]})
    store = fast(services)

    async def go() -> bool:
        async with store.turn() as tx:
            found, _ = await tx.load(tenant.id, "c", "t-2")
            assert found is not None
            # Another writer (a thread, another worker) appends a turn meanwhile.
            services.turns.post_turns(tenant, "c", {"turns": [turn("other", 4, id="t-1")]})
            mine = replace(found, data={**found.data, "turns": [
                *found.data["turns"], turn("mine", 5, id="t-2")]})
            saved = await tx.save_and_commit(mine, "t-2", {"action": "continue"},
                                             services.clock.now())
        await store.aclose()
        return saved

    assert asyncio.run(go()) is False
    with services.store.read() as tx:
        found = tx.get_conversation(tenant.id, "c")
        assert found is not None
        assert [t["id"] for t in found.data["turns"]] == ["t-0", "t-1"]
        assert tx.find_decision(tenant.id, "c", "t-2") is None
    assert post_lean(services, "c", {"turns": [turn("mine", 5, id="t-2")]}) is not None
    with services.store.read() as tx:
        found = tx.get_conversation(tenant.id, "c")
        assert found is not None
        assert [t["id"] for t in found.data["turns"]] == ["t-0", "t-1", "t-2"]


def test_a_new_conversation_stored_by_another_writer_first_is_not_overwritten(
        services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    store = fast(services)

    async def go() -> bool:
        async with store.turn() as tx:
            found, _ = await tx.load(tenant.id, "new", None)
            assert found is None
            services.turns.post_turns(tenant, "new", {"turns": [turn("first", 1, id="a")]})
            mine = services.turns._merge(None, tenant, "new", {"turns": [turn("mine", 2)]},
                                         [turn("mine", 2)],
                                         policy=services.tenants.decider_for(tenant).policy)
            return await tx.save_and_commit(mine, None, {}, services.clock.now())

    assert asyncio.run(go()) is False
    with services.store.read() as tx:
        found = tx.get_conversation(tenant.id, "new")
        assert found is not None
        assert [t["text"] for t in found.data["turns"]] == ["first"]


class _AlwaysLoses:
    """A lean store whose every save finds the conversation changed."""

    def __init__(self, inner: SqliteTurnStore) -> None:
        self.inner = inner
        self.tries = 0

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[Any]:
        async with self.inner.turn() as tx:
            self.tries += 1

            async def lose(*_args: Any) -> bool:
                return False

            tx.save_and_commit = lose  # type: ignore[method-assign,assignment]
            yield tx

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_turn_that_keeps_losing_races_goes_the_locked_way(services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    losing = _AlwaysLoses(fast(services))
    body = {"turns": [turn("what is my balance?", 1, id="t-1")]}

    async def go() -> Any:
        try:
            return await services.turns.post_turns_async(tenant, "c", body, losing)
        finally:
            await losing.aclose()

    assert asyncio.run(go()) is None  # the caller then runs `post_turns`
    assert losing.tries == LEAN_ATTEMPTS
    assert "action" in services.turns.post_turns(tenant, "c", body)

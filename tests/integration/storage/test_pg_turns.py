"""The event-loop turn path on PostgreSQL (`PgTurnStore`, `TurnService.post_turns_async`):
same answers and rows as the threaded path, nothing written when it hands over, no turn lost
to concurrent posters on either path, and a dead connection or database is a retryable
error, never a hang or a poisoned pool."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from warmline.adapters.storage.pg_turns import PgTurnStore, _sql
from warmline.bootstrap import Services
from warmline.core.errors import AdapterError, ConversationError
from warmline.testing import post_lean

pytestmark = pytest.mark.postgres

AT = "2026-11-24T15:00:{:02d}+00:00"


def turn(text: str, n: int = 0, **extra: Any) -> dict[str, Any]:
    return {"speaker": "customer", "text": text, "at": AT.format(n), **extra}


@pytest.fixture
def services(pg_url: str, services_on: Callable[..., Services]) -> Services:
    return services_on(pg_url)


def fast(services: Services) -> PgTurnStore:
    store = services.fast_turns
    assert isinstance(store, PgTurnStore)
    return store


def stored(services: Services, conv: str) -> dict[str, Any] | None:
    tenant = services.tenants.ensure_tenant("acme")
    with services.store.read() as tx:
        found = tx.get_conversation(tenant.id, conv)
    return None if found is None else dict(found.data)


def test_a_plain_turn_is_stored_and_decided_as_the_threaded_path_does(
        services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    bodies: list[dict[str, Any]] = [
        {"customer": {"id": "cust-9", "name": "Ana"}, "channel": "chat",
         "turns": [turn("My invoice looks wrong this month", 0, id="t-1")]},
        {"turns": [turn("when does the hold drop off?", 5, id="t-2")]}]
    answers = [post_lean(services, "fast", body) for body in bodies]
    expected = [services.turns.post_turns(tenant, "slow", body) for body in bodies]
    for got, want in zip(answers, expected, strict=True):
        assert got is not None
        assert {**got, "conversation_id": "x", "latency_ms": 0} == {
            **want, "conversation_id": "x", "latency_ms": 0}
    fast_row, slow_row = stored(services, "fast"), stored(services, "slow")
    assert fast_row is not None
    assert slow_row is not None
    assert {**fast_row, "id": "x"} == {**slow_row, "id": "x"}
    assert [t["text"] for t in fast_row["turns"]] == [
        "My invoice looks wrong this month", "when does the hold drop off?"]
    with services.store.read() as tx:  # the customer key and the decisions, as stored
        found = tx.get_conversation(tenant.id, "fast")
        assert found is not None
        assert found.customer_key == "id:cust-9"
        assert tx.find_decision(tenant.id, "fast", "t-2") == answers[1]


def test_bad_input_mid_turn_rolls_back_and_keeps_the_connection(services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    store = fast(services)

    async def go() -> int:
        bad = {"channel": "fax", "turns": [turn("hi")]}
        with pytest.raises(ConversationError):
            await services.turns.post_turns_async(tenant, "c", bad, store)
        await services.turns.post_turns_async(tenant, "c", {"turns": [turn("hi")]}, store)
        idle = len(store._idle)
        await store.aclose()
        return idle

    assert asyncio.run(go()) == 1  # one connection, reused after the rollback
    assert stored(services, "c") is not None


def _terminate_backends(services: Services) -> int:
    """Kill this schema's other sessions, as a database restart would."""
    with services.store.engine.begin() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND application_name = 'warmline-test-victim'")).scalar() or 0)


def test_a_connection_killed_between_turns_is_replaced_without_an_error(
        services: Services, pg_url: str) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    victim = PgTurnStore(sa.engine.make_url(pg_url).update_query_dict(
        {"application_name": "warmline-test-victim"}))

    async def go() -> list[Any]:
        first = await services.turns.post_turns_async(tenant, "c", {"turns": [turn("a", 1)]},
                                                      victim)
        killed = await asyncio.to_thread(_terminate_backends, services)
        second = await services.turns.post_turns_async(tenant, "c", {"turns": [turn("b", 2)]},
                                                       victim)
        await victim.aclose()
        return [first, killed, second]

    first, killed, second = asyncio.run(go())
    assert killed == 1
    assert first is not None
    assert second is not None
    found = stored(services, "c")
    assert found is not None
    assert [t["text"] for t in found["turns"]] == ["a", "b"]


def test_a_connection_killed_mid_turn_is_a_retryable_error_and_is_dropped(
        services: Services, pg_url: str) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    victim = PgTurnStore(sa.engine.make_url(pg_url).update_query_dict(
        {"application_name": "warmline-test-victim"}))

    async def go() -> int:
        async with victim.turn() as tx:  # warm one connection up
            await tx.load(tenant.id, "c", None)
        async def killed_mid_turn() -> None:
            async with victim.turn() as tx:
                await tx.load(tenant.id, "c", None)  # inside the transaction now
                await asyncio.to_thread(_terminate_backends, services)
                await tx.recent_contacts(tenant.id, "k", *_span(), "c")

        return await _fails_retryably_then_serves(services, victim, killed_mid_turn)

    assert asyncio.run(go()) == 0


async def _fails_retryably_then_serves(services: Services, store: PgTurnStore,
                                       failing: Callable[[], Any]) -> int:
    """`failing()` raises a retryable error; the next turn through `store` is served. The
    connections the pool kept after the failure (closes the store)."""
    with pytest.raises(AdapterError) as caught:
        await failing()
    assert caught.value.retryable
    kept = len(store._idle)
    tenant = services.tenants.ensure_tenant("acme")
    ok = await services.turns.post_turns_async(tenant, "c", {"turns": [turn("a", 1)]}, store)
    assert ok is not None
    await store.aclose()
    return kept


def _span() -> tuple[Any, Any]:
    from datetime import UTC, datetime, timedelta
    now = datetime.now(UTC)
    return now - timedelta(days=7), now


def test_an_unreachable_database_is_a_retryable_error() -> None:
    store = PgTurnStore(sa.engine.make_url(
        "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"))

    async def go() -> AdapterError:
        async def load() -> None:
            async with store.turn() as tx:
                await tx.load("t", "c", None)

        with pytest.raises(AdapterError) as caught:
            await load()
        return caught.value

    err = asyncio.run(go())
    assert err.retryable
    assert "the database is unavailable" in str(err)


def test_a_turn_waits_for_a_free_connection_and_gives_up_retryably(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every connection busy a turn waits; past POOL_TIMEOUT it is a 503-type error,
    and once the connection is back the next turn gets it."""
    monkeypatch.setattr("warmline.adapters.storage.pg_turns.POOL_TIMEOUT", 0.2)
    store = PgTurnStore(sa.engine.make_url(pg_url), connections=1)

    async def go() -> AdapterError:
        async def one_turn(hold: float) -> None:
            async with store.turn() as tx:
                await tx.load("t", "waits", None)
                await asyncio.sleep(hold)

        holder = asyncio.create_task(one_turn(0.6))
        await asyncio.sleep(0.1)
        with pytest.raises(AdapterError) as caught:
            await one_turn(0)
        await holder
        await one_turn(0)  # the slot is free again: no error
        holder = asyncio.create_task(one_turn(0.05))
        await asyncio.sleep(0.01)
        await one_turn(0)  # waits for the holder, well inside the timeout
        await holder
        await store.aclose()
        return caught.value

    err = asyncio.run(go())
    assert err.retryable
    assert "no database connection free" in str(err)


def test_psycopg_binds_values_never_splices_them(services: Services) -> None:
    """Quotes, backslashes and SQL in ids and text are stored verbatim."""
    nasty = "x'); DROP TABLE conversations; --\\"
    answer = post_lean(services, nasty, {"turns": [turn(nasty, 1, id=nasty)]})
    assert answer is not None
    found = stored(services, nasty)
    assert found is not None
    assert found["turns"][0]["text"] == nasty


def test_a_statement_failing_mid_pipeline_drops_the_connection_and_writes_nothing(
        services: Services, pg_url: str) -> None:
    """The save's foreign key fails (no such tenant): PostgreSQL skips the COMMIT after it,
    the turn is a retryable error, the half-done transaction never reaches the pool, and
    the next turn runs on a fresh connection with its statements prepared again."""
    from datetime import UTC, datetime

    from warmline.service.ports import StoredConversation

    store = PgTurnStore(sa.engine.make_url(pg_url), connections=1)

    async def orphan_turn() -> None:
        async with store.turn() as tx:
            await tx.load("no-such-tenant", "c", "t-1")
            await tx.save_and_commit(
                StoredConversation("no-such-tenant", "c", {"id": "c", "turns": []}, None),
                "t-1", {"action": "continue"}, datetime.now(UTC))

    assert asyncio.run(_fails_retryably_then_serves(services, store, orphan_turn)) == 0
    engine = services.store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        orphans = conn.execute(sa.text(
            "SELECT count(*) FROM conversations WHERE tenant_id = 'no-such-tenant'")).scalar()
    assert orphans == 0


def test_event_loop_connections_have_the_statement_timeout_and_prepared_statements(
        pg_url: str) -> None:
    """A new connection is set up in one round trip: the timeout that turns a stuck lock
    wait into a quick 503, and the turn's statements, prepared."""
    store = PgTurnStore(sa.engine.make_url(pg_url), connections=1)

    async def go() -> tuple[str, set[str]]:
        async with store.turn() as tx:
            cursor = await tx.connection.execute("SHOW statement_timeout")
            timeout = (await cursor.fetchone() or ("",))[0]
            cursor = await tx.connection.execute("SELECT name FROM pg_prepared_statements")
            names = {row[0] for row in await cursor.fetchall()}
        await store.aclose()
        return str(timeout), names

    timeout, names = asyncio.run(go())
    assert timeout == "10s"
    assert {q.name.decode() for q in _sql().all} <= names

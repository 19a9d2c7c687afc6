"""The lean turn path on both SQL stores (`TurnService.post_turns_async` on SQLite's
`SqliteTurnStore` and PostgreSQL's `PgTurnStore`): a retried turn is answered from its
stored decision, a turn that escalates — or joins an escalated conversation — is handed to
the full path with nothing written, and no turn is lost beside full-path writers.
Store-specific behaviour is in test_sqlite_turns.py and test_pg_turns.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.testing import post_lean

AT = "2026-11-24T15:00:{:02d}+00:00"


def turn(text: str, n: int = 0, **extra: Any) -> dict[str, Any]:
    return {"speaker": "customer", "text": text, "at": AT.format(n), **extra}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
def services(url: str, services_on: Callable[..., Services]) -> Services:
    return services_on(url)


def stored_turns(services: Services, conv: str) -> list[str]:
    tenant = services.tenants.ensure_tenant("acme")
    with services.store.read() as tx:
        found = tx.get_conversation(tenant.id, conv)
    return [] if found is None else [t["text"] for t in found.data["turns"]]


def test_a_retried_turn_returns_the_first_decision_and_stores_nothing_twice(
        services: Services) -> None:
    body = {"turns": [turn("what is my balance?", 1, id="t-1")]}
    first = post_lean(services, "c", body)
    again = post_lean(services, "c", body)
    assert first is not None
    assert first == again
    assert stored_turns(services, "c") == ["what is my balance?"]


def test_an_escalating_turn_is_handed_over_with_nothing_written(services: Services) -> None:
    tenant = services.tenants.ensure_tenant("acme")
    post_lean(services, "c", {"turns": [turn("hi there", 0, id="t-0")]})
    cancel = {"turns": [turn("I want to cancel my account, get me a human", 3, id="t-1")]}
    assert post_lean(services, "c", cancel) is None
    assert stored_turns(services, "c") == ["hi there"]
    with services.store.read() as tx:
        assert tx.find_decision(tenant.id, "c", "t-1") is None
    decision = services.turns.post_turns(tenant, "c", cancel)  # the full path
    assert decision["action"] in ("escalate", "hold", "callback")
    assert "handoff_id" in decision
    later = {"turns": [turn("hello?", 9, id="t-2")]}
    assert post_lean(services, "c", later) is None  # an escalated conversation goes the full way
    assert post_lean(services, "c", cancel) == decision  # a retry is still answered here


def test_posters_beside_full_path_writers_lose_no_turn(services: Services, url: str) -> None:
    """Lean posters on one loop and full-path posters in threads of another worker's
    services at once, 10 rounds on one conversation each: every turn is stored. A lean
    poster that keeps losing returns None and, as in the hot path, posts the locked way."""
    tenant = services.tenants.ensure_tenant("acme")
    lean = services.fast_turns
    assert lean is not None
    other = build_services(Settings(db=url, policy="saas"))

    async def round_(r: int) -> None:
        cid = f"race-{r}"
        bodies = [{"turns": [turn(f"question {i} about my invoice", i, id=f"r{r}-{i}")]}
                  for i in range(6)]
        threaded = [asyncio.to_thread(other.turns.post_turns, tenant, cid, b)
                    for b in bodies[:3]]
        looped = [lean_then_full(cid, b) for b in bodies[3:]]
        await asyncio.gather(*threaded, *looped)

    async def lean_then_full(cid: str, body: dict[str, Any]) -> None:
        """As the hot path does: a turn that lost every lean try (None) goes the locked way."""
        if await services.turns.post_turns_async(tenant, cid, body, lean) is None:
            await asyncio.to_thread(services.turns.post_turns, tenant, cid, body)

    async def go() -> None:
        for r in range(10):
            await round_(r)
        await lean.aclose()

    try:
        asyncio.run(go())
    finally:
        other.close()
    with services.store.read() as tx:
        for r in range(10):
            found = tx.get_conversation(tenant.id, f"race-{r}")
            assert found is not None
            assert sorted(t["id"] for t in found.data["turns"]) == sorted(
                f"r{r}-{i}" for i in range(6))

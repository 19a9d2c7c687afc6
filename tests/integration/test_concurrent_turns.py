"""Turns posted at the same instant to the same conversation are all stored, on every store.
Each poster has its own Services (its own engine and connection), so the database's own
locking decides; on PostgreSQL this lost most turns before `Tx.lock_conversation` (two
transactions read the same turns and the last write won)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings

ROUNDS = 25
POSTERS = 4
STUCK_SECONDS = 30.0


@pytest.fixture(params=["memory", "sqlite",
                        pytest.param("postgres", marks=pytest.mark.postgres)])
def posters(request: pytest.FixtureRequest, emptier: Callable[[SqlStore], None]
            ) -> Iterator[list[Services]]:
    if request.param == "memory":
        store = InMemoryStore()
        made = [build_services(Settings(policy="saas"), store=store)] * POSTERS
    else:
        url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                           else "pg_url")
        cleaner = SqlStore(url)
        emptier(cleaner)
        cleaner.close()
        made = [build_services(Settings(db=url, policy="saas")) for _ in range(POSTERS)]
    yield made
    for services in {id(s): s for s in made}.values():
        services.close()


def _turn(i: int, round_: int) -> dict[str, object]:
    return {"turns": [{"id": f"r{round_}-t{i}", "speaker": "customer",
                       "text": f"question number {i} about my invoice",
                       "at": f"2026-11-24T10:{round_:02d}:{i:02d}Z"}]}


def test_concurrent_posts_to_one_conversation_lose_no_turn(posters: list[Services],
                                                           tmp_path: Path) -> None:
    tenant = posters[0].tenants.ensure_tenant("acme")
    failures: list[BaseException] = []
    for round_ in range(ROUNDS):
        conversation_id = f"c-{round_}"
        barrier = threading.Barrier(POSTERS, timeout=STUCK_SECONDS)

        def post(i: int, services: Services, cid: str = conversation_id,
                 gate: threading.Barrier = barrier, r: int = round_) -> None:
            try:
                gate.wait()
                services.turns.post_turns(tenant, cid, _turn(i, r))
            except BaseException as err:  # reported below: a thread's error must fail
                failures.append(err)

        threads = [threading.Thread(target=post, args=(i, services))
                   for i, services in enumerate(posters)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(STUCK_SECONDS)
    assert not failures, failures[:3]
    with posters[0].store.transaction() as tx:
        for round_ in range(ROUNDS):
            stored = tx.get_conversation(tenant.id, f"c-{round_}")
            assert stored is not None
            ids = sorted(t["id"] for t in stored.data["turns"])
            assert ids == sorted(f"r{round_}-t{i}" for i in range(POSTERS)), round_
            for i in range(POSTERS):  # each turn's decision kept, for retried POSTs
                assert tx.find_decision(tenant.id, f"c-{round_}", f"r{round_}-t{i}")

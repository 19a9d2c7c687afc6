"""1,000 concurrent-accept races on SQLite and on PostgreSQL, in CI: in each race three reps,
each with its own engine (so its own connection), accept one queued handoff at the same
instant. Exactly one wins every race, the database holds each handoff for its winner, and
every rep's slot count equals the races it won. `bench/faults/races.py` runs 10,000."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.core.errors import Conflict
from warmline.core.handoff import Tenant
from warmline.testing import seed_accept_races

RACES = 1_000
RACERS = 3
#: A racer stuck this long breaks the barrier: the test fails instead of hanging.
STUCK_SECONDS = 30.0
T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)
POLICY = """
version: 1
name: races
timezone: UTC
defaults: {queue: desk}
queues:
  desk: {skills: [general]}
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, emptier: Callable[[SqlStore], None]) -> str:
    found: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite"
                                         else "pg_url")
    store = SqlStore(found)
    emptier(store)
    store.close()
    return found


@pytest.fixture
def racers(url: str, tmp_path: Path) -> Iterator[list[Services]]:
    """One Services per rep: separate engines, so the database's own locking decides (on
    SQLite too: no shared in-process writer lock)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    made = [build_services(Settings(db=url, policy=str(policy))) for _ in range(RACERS)]
    yield made
    for services in made:
        services.close()


def _seed(services: Services) -> Tenant:
    tenant = services.tenants.authenticate(services.tenants.create_key("races"))
    with services.store.transaction() as tx:
        seed_accept_races(tx, tenant.id, RACES, RACERS, T0)
    return tenant


def _race_all(racers: list[Services], tenant: Tenant) -> list[list[str]]:
    """Every racer accepts h0, h1, ... released together by one barrier per race."""
    barrier = threading.Barrier(len(racers), timeout=STUCK_SECONDS)
    winners: list[list[str]] = [[] for _ in range(RACES)]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def racer(r: int) -> None:
        try:
            for i in range(RACES):
                barrier.wait()
                try:
                    racers[r].handoffs.accept(tenant, f"h{i}", f"rep{r}")
                except Conflict:
                    continue
                with lock:
                    winners[i].append(f"rep{r}")
        except BaseException as err:  # re-raised in the test's thread
            errors.append(err)
            barrier.abort()

    threads = [threading.Thread(target=racer, args=(r,)) for r in range(len(racers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return winners


def test_1000_concurrent_accept_races_each_have_exactly_one_winner(
        racers: list[Services], url: str) -> None:
    tenant = _seed(racers[0])
    winners = _race_all(racers, tenant)

    doubles = {f"h{i}": won for i, won in enumerate(winners) if len(won) > 1}
    nobody = [f"h{i}" for i, won in enumerate(winners) if not won]
    assert doubles == {}, f"{len(doubles)} handoffs accepted twice"
    assert nobody == []
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            held = dict(connection.execute(sa.text(
                "SELECT id, rep_id FROM handoffs WHERE status = 'accepted'")).all())
            active = dict(connection.execute(sa.text("SELECT id, active FROM reps")).all())
    finally:
        engine.dispose()
    assert held == {f"h{i}": won[0] for i, won in enumerate(winners)}
    wins = Counter(won[0] for won in winners)
    assert active == {f"rep{r}": wins[f"rep{r}"] for r in range(RACERS)}

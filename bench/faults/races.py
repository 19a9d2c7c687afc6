"""Fault: concurrent accepts. In each race, several reps accept the same queued handoff at the
same instant (threads released by one barrier, each with its own connection). Exactly one
must win every race; afterwards each handoff is held by its winner and the reps' slots add
up. Prints the counts; exits 1 on a double (or lost) assignment.

    python bench/faults/races.py [--races 10000] [--reps 4] [--db postgres sqlite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from harness import make_database, make_tenant

from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.core.errors import Conflict
from warmline.testing import seed_accept_races

T0 = datetime(2026, 11, 24, 10, tzinfo=UTC)


def run_races(kind: str, races: int, reps: int, deadline: float
              ) -> tuple[list[list[str]], list[str]]:
    """Returns (the winners of each race run, violations)."""
    database = make_database(kind)
    try:
        key, policy = make_tenant(database.url, Path(tempfile.mkdtemp(prefix="wl-faults-")))
        # One Services per racer: separate engines, so separate connections (and, on SQLite,
        # separate in-process writer locks: the database's own lock decides).
        racers = [build_services(Settings(db=database.url, policy=str(policy)))
                  for _ in range(reps)]
        tenant = racers[0].tenants.authenticate(key)
        with racers[0].store.transaction() as tx:
            seed_accept_races(tx, tenant.id, races, reps, T0)
        winners = _race_all(racers, tenant, races, deadline)
        for services in racers[1:]:
            services.close()
        return winners, _check(database.url, winners, reps) + [
            f"race h{i}: {len(w)} winners {w}" for i, w in enumerate(winners) if len(w) != 1]
    finally:
        database.close()


def _race_all(racers: list, tenant: object, races: int, deadline: float) -> list[list[str]]:
    barrier = threading.Barrier(len(racers))
    winners: list[list[str]] = [[] for _ in range(races)]
    stop = [races]
    lock = threading.Lock()

    def racer(r: int) -> None:
        services = racers[r]
        for i in range(races):
            if r == 0 and time.monotonic() > deadline:
                stop[0] = min(stop[0], i)
            barrier.wait()
            if i >= stop[0]:
                return
            try:
                services.handoffs.accept(tenant, f"h{i}", f"rep{r}")
            except Conflict:
                continue
            with lock:
                winners[i].append(f"rep{r}")

    threads = [threading.Thread(target=racer, args=(r,)) for r in range(len(racers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return winners[:stop[0]]


def _check(url: str, winners: list[list[str]], reps: int) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            held = dict(connection.execute(sa.text(
                "SELECT id, rep_id FROM handoffs WHERE status = 'accepted'")).all())
            active = dict(connection.execute(sa.text("SELECT id, active FROM reps")).all())
    finally:
        engine.dispose()
    problems = []
    for i, won in enumerate(winners):
        if len(won) == 1 and held.get(f"h{i}") != won[0]:
            problems.append(f"h{i}: won by {won[0]} but stored for {held.get(f'h{i}')}")
    counts = Counter(w[0] for w in winners if len(w) == 1)
    for r in range(reps):
        if active.get(f"rep{r}", 0) != counts.get(f"rep{r}", 0):
            problems.append(f"rep{r}: {active.get(f'rep{r}')} slots taken, "
                            f"{counts.get(f'rep{r}', 0)} races won")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--races", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=4, help="racers per race")
    parser.add_argument("--db", nargs="+", choices=["postgres", "sqlite"],
                        default=["postgres", "sqlite"])
    parser.add_argument("--max-seconds", type=float, default=600, help="per database")
    args = parser.parse_args()
    failed = False
    for kind in args.db:
        winners, violations = run_races(kind, args.races, args.reps,
                                        time.monotonic() + args.max_seconds)
        done = len(winners)
        cut = "" if done == args.races else f" (stopped by the time bound, of {args.races})"
        print(f"races on {kind}: {done} races{cut}, {args.reps} reps each, "
              f"{done * args.reps} accepts; double assignments "
              f"{sum(len(w) > 1 for w in winners)}, races nobody won "
              f"{sum(not w for w in winners)}, violations {len(violations)}", flush=True)
        for problem in violations[:20]:
            print("  VIOLATION", problem)
        failed |= bool(violations) or done < args.races
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

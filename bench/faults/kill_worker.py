"""Fault: kill -9 a `warmline serve` worker during load, N runs. After each run the database
must hold every turn a client got 2xx for, one handoff per escalation, and no handoff lost or
accepted twice. Prints the counts; exits 1 on any violation.

    python bench/faults/kill_worker.py [--runs 20] [--db postgres|sqlite] [--workers 2]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from harness import Load, Record, Server, check_database, make_database, make_tenant, summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=2.0, help="load per run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    database = make_database(args.db)
    key, policy = make_tenant(database.url, Path(tempfile.mkdtemp(prefix="wl-faults-")))
    server = Server(database.url, policy, args.workers)
    record, killed, violations = Record(), 0, []
    try:
        for run in range(1, args.runs + 1):
            load = Load(server.base, key, record, prefix=f"r{run}")
            load.start()
            time.sleep(rng.uniform(0.2, args.seconds / 2))
            server.kill_a_worker(rng)
            killed += 1
            time.sleep(args.seconds / 2)
            server.wait_ready(args.workers)  # uvicorn's supervisor replaces the worker
            load.finish()
            found = check_database(database.url, record)
            violations += found
            print(f"run {run:2}/{args.runs}: worker killed; {len(found)} violations; "
                  f"{summary(record)}", flush=True)
    finally:
        server.stop()
        database.close()
    print(f"\nkill -9: {args.runs} runs on {args.db}, {args.workers} workers, {killed} workers "
          f"killed; {summary(record)}; hangs {record.hangs}; violations {len(violations)}")
    for problem in violations[:20]:
        print("  VIOLATION", problem)
    return 1 if violations or record.hangs else 0


if __name__ == "__main__":
    sys.exit(main())

"""Fault: restart PostgreSQL under load. While it is down clients must get 503 with
Retry-After (no other 5xx, no request over the client timeout); afterwards the server must
answer 200 again by itself, and every turn a client got 2xx for must be stored. Exits 1 on a
violation. It stops the machine's PostgreSQL cluster for a few seconds per run.

    python bench/faults/db_restart.py [--runs 3] [--down 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import Load, Record, Server, check_database, make_database, make_tenant, summary

#: The longest the service may take to answer 200 again once PostgreSQL accepts connections.
RECOVERY_SECONDS = 15.0


def cluster() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def pg_ready(timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"],
                          check=False).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def restart_under_load(server: Server, key: str, record: Record, run: int,
                       down: float) -> float | None:
    """One outage; returns the seconds from "PostgreSQL is back" to the first 200."""
    load = Load(server.base, key, record, prefix=f"r{run}")
    load.start()
    time.sleep(1.0)
    try:
        subprocess.run([*cluster(), "stop", "-m", "fast"], check=True, timeout=30)
        time.sleep(down)
    finally:
        subprocess.run([*cluster(), "start"], check=False, timeout=60)
    if not pg_ready(30):
        raise RuntimeError("PostgreSQL did not come back")
    back = time.monotonic()
    before = record.statuses[200]
    recovered = None
    while time.monotonic() - back < RECOVERY_SECONDS:
        if record.statuses[200] > before:
            recovered = time.monotonic() - back
            break
        time.sleep(0.05)
    time.sleep(1.0)
    load.finish()
    return recovered


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--down", type=float, default=2.0, help="seconds PostgreSQL is down")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    database = make_database("postgres")
    key, policy = make_tenant(database.url, Path(tempfile.mkdtemp(prefix="wl-faults-")))
    server = Server(database.url, policy, args.workers)
    record, violations, unrecovered = Record(), [], 0
    try:
        for run in range(1, args.runs + 1):
            recovered = restart_under_load(server, key, record, run, args.down)
            unrecovered += recovered is None
            found = check_database(database.url, record)
            violations += found
            print(f"run {run}/{args.runs}: PostgreSQL down {args.down:.0f} s; back to 200 "
                  f"{'never' if recovered is None else 'yes'}; {len(found)} violations; "
                  f"{summary(record)}", flush=True)
    finally:
        server.stop()
        if not pg_ready(1):
            subprocess.run([*cluster(), "start"], check=False, timeout=60)
        database.close()
    other_5xx = sum(n for code, n in record.statuses.items() if code >= 500 and code != 503)
    print(f"\ndatabase restart: {args.runs} runs; {summary(record)}; 503 without Retry-After "
          f"{record.retry_after_missing}; other 5xx {other_5xx}; hangs {record.hangs}; "
          f"runs not recovered {unrecovered}; violations {len(violations)}")
    for problem in violations[:20]:
        print("  VIOLATION", problem)
    bad = violations or other_5xx or record.hangs or unrecovered or record.retry_after_missing
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

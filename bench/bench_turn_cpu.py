"""Benchmark: CPU per turn of the turn service itself, in process (no HTTP, no load tool).

The HTTP load bench (`bench_load.py`) shares 2 cores between wrk, the server and the
database, so its per-turn CPU moves with whatever else the machine does. This one runs
`TurnService` directly — the path a `POST .../turns` takes after its JSON is parsed — with a
few turns in flight on one event loop, and reads the CPU this process and PostgreSQL's
processes used (/proc). Run it twice, alternating, to compare two versions of the code
(`PYTHONPATH=<other checkout>/src`).

    python bench/bench_turn_cpu.py [--db postgres|sqlite] [--turns 3000] [--live 500]
                                   [--in-flight 4] [--history 0] [--policy saas]

`--policy healthcare` measures a policy that masks cards and SSNs (`redact:`) in every
stored turn; the bundled `saas` policy masks nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_load import PG, database, history_turns  # noqa: E402  (as the HTTP bench does)

TEXTS = (
    ("customer", "My invoice looks wrong this month, can you check it? Ref {n}"),
    ("ai", "I can see two charges on the 3rd; one is a pending hold."),
    ("customer", "ok, and when does the hold drop off for {n}?"),
    ("ai", "Within three business days."),
)


def turn_body(n: int, step: int) -> dict[str, object]:
    speaker, text = TEXTS[step % len(TEXTS)]
    turn: dict[str, object] = {"speaker": speaker, "text": text.format(n=n),
                               "at": f"2026-11-24T10:{step // 60 % 60:02d}:{step % 60:02d}-06:00"}
    if speaker == "ai":
        turn.update(confidence=0.88, question_type="billing")
    return {"turns": [turn]}


def postgres_cpu() -> float:
    tick = os.sysconf("SC_CLK_TCK")
    used = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            comm, fields = stat.read_text().split(" (", 1)[1].rsplit(") ", 1)
            if comm == "postgres":
                values = fields.split()
                used += (int(values[11]) + int(values[12])) / tick
    return used


async def run(url: str, args: argparse.Namespace) -> None:
    from warmline.bootstrap import build_services
    from warmline.config import Settings

    services = build_services(Settings(db=url, policy=args.policy, outbox_seconds=0))
    tenant = services.tenants.ensure_tenant("bench")
    turns, fast = services.turns, services.fast_turns
    run_id = secrets.token_hex(3)
    ids = [f"{run_id}-{i}" for i in range(args.live)]

    async def post(conversation: str, n: int, step: int) -> None:
        body = turn_body(n, step)
        result = None
        if fast is not None:
            result = await turns.post_turns_async(tenant, conversation, body, fast)
        if result is None:
            result = turns.post_turns(tenant, conversation, body)
        if "handoff_id" in result:
            raise SystemExit(f"a bench turn escalated: {result}")

    if args.history:  # untimed: conversations of a realistic length, as bench_load seeds
        seed = {"turns": history_turns(args.history)}
        for conversation in ids:
            turns.post_turns(tenant, conversation, seed)
    for i, conversation in enumerate(ids[:50]):  # warm up caches and connections
        await post(conversation, i, 0)

    queue: asyncio.Queue[tuple[str, int, int]] = asyncio.Queue()
    for n in range(args.turns):
        queue.put_nowait((ids[n % len(ids)], n, 1 + n // len(ids)))

    async def worker() -> None:
        while not queue.empty():
            await post(*queue.get_nowait())

    db_before, cpu_before, wall = postgres_cpu(), time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.in_flight)))
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu_before
    db = postgres_cpu() - db_before if args.db == "postgres" else 0.0
    print(f"{args.db}, policy {args.policy}: {args.turns} turns on {args.live} conversations "
          f"({args.history} earlier turns each), {args.in_flight} in flight: "
          f"{args.turns / wall:,.0f} turns/s, "
          f"CPU per turn: this process {cpu / args.turns * 1e6:,.0f} us, "
          f"database {db / args.turns * 1e6:,.0f} us")
    if fast is not None:
        await fast.aclose()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--live", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--history", type=int, default=0)
    parser.add_argument("--policy", default="saas")
    args = parser.parse_args()
    if args.db == "postgres":
        print(f"PostgreSQL: {PG}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp, database(args.db, tmp) as (url, _schema):
        asyncio.run(run(url, args))


if __name__ == "__main__":
    main()

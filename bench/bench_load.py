"""Benchmark: Warmline under a steady load of live conversations, on SQLite and PostgreSQL.

N live conversations each post a turn every S seconds (offered load N/S turns/s) through
`POST /v1/conversations/{id}/turns` for a bounded time, from Debian's `wrk` on loopback
(bench/http/paced.lua paces each connection). Meanwhile a probe posts an escalating turn
("I want to cancel") every 0.25 s on a fresh conversation and times it until the
`handoff.created` event arrives on the desk stream (`GET /v1/events`): the notify latency
of SPEC §6 under load. Prints the rate achieved, turn latency p50/p99, notify latency
p50/p99, server memory and storage per live conversation. The load generator and the
server share the machine's 2 cores, so every number is a lower bound.

    python bench/bench_load.py [--live 5000] [--every 5] [--seconds 20] [--db sqlite,postgres]
                               [--workers 1] [--connections 250] [--history 30]

`--history N` first gives every live conversation N earlier turns (one POST each, not
timed), so the timed turns land on conversations of a realistic length: a 5-minute call
with a turn every 5 s has 60 turns, 30 at its middle.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx

HERE = Path(__file__).resolve().parent
WRK_THREADS = 2
PG = os.environ.get("WARMLINE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=1)
            return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU time (user + system) used so far by the server (with its worker processes) and
    by PostgreSQL's processes, from /proc: where the machine's 2 cores go."""
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    servers = {server_pid, *map(int, children.read_text().split())} if children.exists() \
        else {server_pid}
    used = {"server": 0.0, "database": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid, rest = stat.read_text().split(" (", 1)
            comm, fields = rest.rsplit(") ", 1)
            values = fields.split()
            seconds = (int(values[11]) + int(values[12])) / tick
            if int(pid) in servers:
                used["server"] += seconds
            elif comm == "postgres":
                used["database"] += seconds
    return used


def host_ticks() -> list[int]:
    """The machine's CPU time so far by kind (/proc/stat: user ... steal), in ticks."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def host_share(before: list[int], after: list[int]) -> dict[str, float]:
    """Of the machine's CPU time between two readings: the share idle, and the share stolen
    by the hypervisor for other guests (a shared host's noise, outside this run's control)."""
    spent = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(spent) or 1
    return {"idle": (spent[3] + spent[4]) / total, "steal": spent[7] / total}


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (uvicorn workers), in KiB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


@contextlib.contextmanager
def database(kind: str, tmp: str) -> Iterator[tuple[str, str]]:
    """A fresh, migrated database URL and a SQL size query for it."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp}/bench.db", ""
        return
    import sqlalchemy as sa

    schema = f"wl_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(PG)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG}{'&' if '?' in PG else '?'}options=-csearch_path%3D{schema}"
    try:
        subprocess.run([sys.executable, "-m", "warmline", "db", "upgrade", "--db", url],
                       check=True, capture_output=True)
        yield url, schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def storage_bytes(kind: str, url: str, schema: str) -> int:
    if kind == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    import sqlalchemy as sa

    engine = sa.create_engine(PG)
    with engine.connect() as conn:
        size = conn.execute(sa.text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": schema}).scalar_one()
    engine.dispose()
    return int(size)


class NotifyProbe:
    """Posts an escalating turn every `interval` s and times it to its desk event."""

    def __init__(self, base: str, key: str, interval: float = 0.25) -> None:
        self.base, self.key, self.interval = base, key, interval
        self.sent: dict[str, float] = {}
        self.latencies: list[float] = []
        self.posts: list[float] = []
        """How long each escalating POST took: the notify latency's first part."""
        self.failures = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()

    def listen(self) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server stops while we listen
            self._listen()

    def _listen(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(timeout=None) as client, client.stream(
                "GET", f"{self.base}/v1/events", headers=headers) as response:
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if not line.startswith("data: "):
                    continue
                event = json.loads(line[6:])
                if event.get("type") != "handoff.created":
                    continue
                arrived = time.perf_counter()
                with self._lock:
                    sent = self.sent.pop(event.get("handoff_id", ""), None)
                if sent is not None:
                    self.latencies.append((arrived - sent) * 1000)

    def post(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(timeout=10) as client:
            n = 0
            while not self.stop.wait(self.interval):
                n += 1
                body = {"turns": [{"speaker": "customer", "at": "2026-11-24T10:00:00-06:00",
                                   "text": "I want to cancel my subscription today"}]}
                started = time.perf_counter()
                try:
                    response = client.post(f"{self.base}/v1/conversations/probe-{n}-"
                                           f"{secrets.token_hex(3)}/turns", json=body,
                                           headers=headers)
                    handoff = response.json().get("handoff_id")
                except (httpx.HTTPError, ValueError):
                    self.failures += 1
                    continue
                if handoff:
                    self.posts.append((time.perf_counter() - started) * 1000)
                    with self._lock:
                        self.sent[handoff] = started
                else:
                    self.failures += 1


def history_turns(history: int) -> list[dict[str, object]]:
    """`history` earlier turns of a calm billing call (varied, so nothing escalates)."""
    turns: list[dict[str, object]] = []
    for i in range(history):
        at = f"2026-11-24T09:{i // 12:02d}:{i % 12 * 5:02d}-06:00"
        if i % 2 == 0:
            turns.append({"id": f"h{i}", "speaker": "customer", "at": at,
                          "text": f"Question {i}: what does line {i} on my invoice mean?"})
        else:
            turns.append({"id": f"h{i}", "speaker": "ai", "at": at, "confidence": 0.9,
                          "question_type": "billing",
                          "text": f"Line {i} is the prorated part of your plan for May {i}."})
    return turns


def seed_history(base: str, key: str, ids: list[str], history: int) -> None:
    """Give each conversation `history` earlier turns, one POST each."""
    if history <= 0:
        return
    from concurrent.futures import ThreadPoolExecutor

    turns = history_turns(history)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(timeout=30, headers=headers) as client, ThreadPoolExecutor(4) as pool:
        def post(conversation_id: str) -> None:
            client.post(f"{base}/v1/conversations/{conversation_id}/turns",
                        json={"turns": turns}).raise_for_status()

        list(pool.map(post, ids))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def wrk(port: int, seconds: int, connections: int, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "--timeout", "10s", "-s", str(HERE / "http" / "paced.lua"),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {q: _ms(re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)\b", out)) for q in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"],
            "non2xx": float(errors.group(1)) if errors else 0.0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none"}  # type: ignore[dict-item]


def _ms(match: re.Match[str] | None) -> float:
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def run_one(kind: str, args: argparse.Namespace) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp, database(kind, tmp) as (url, schema):
        env = {**os.environ, "WARMLINE_DB": url, "WARMLINE_POLICY": "saas",
               "WARMLINE_RATE_LIMIT_PER_SECOND": "0"}
        key = subprocess.run([sys.executable, "-m", "warmline", "keys", "create", "--tenant",
                              "bench", "--db", url], env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
        connections = min(args.connections, args.live)
        period_ms = round(args.every * 1000 * connections / args.live)
        env.update(WARMLINE_BENCH_KEY=key, WARMLINE_BENCH_PERIOD_MS=str(period_ms),
                   # conversations per wrk thread (each thread keeps its own counter)
                   WARMLINE_BENCH_LIVE=str(max(1, args.live // WRK_THREADS)),
                   WARMLINE_BENCH_RUN=f"{kind}-{secrets.token_hex(3)}")
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "warmline", "serve", "--port", str(port),
                                 "--workers", str(args.workers), "--db", url, "--no-access-log"],
                                env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(f"{base}/healthz", proc)
            rss_idle = rss_kib(proc.pid)  # before the history: it is the conversations' too
            size_idle = storage_bytes(kind, url, schema)
            per_thread = max(1, args.live // WRK_THREADS)
            seed_history(base, key, [f"{env['WARMLINE_BENCH_RUN']}-{thread}-{n}"
                                     for thread in range(1, WRK_THREADS + 1)
                                     for n in range(per_thread)], args.history)
            probe = NotifyProbe(base, key)
            listener = threading.Thread(target=probe.listen, daemon=True)
            poster = threading.Thread(target=probe.post, daemon=True)
            listener.start()
            time.sleep(0.5)
            poster.start()
            cpu_before, host_before = cpu_seconds(proc.pid), host_ticks()
            wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            result = wrk(port, args.seconds, connections, env)
            wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk: the reaped child
            cpu_after, host = cpu_seconds(proc.pid), host_share(host_before, host_ticks())
            cpu_after["load generator"] = (wrk_after.ru_utime + wrk_after.ru_stime
                                           - wrk_before.ru_utime - wrk_before.ru_stime)
            probe.stop.set()
            poster.join(timeout=15)
            rss_loaded = rss_kib(proc.pid)
            size_loaded = storage_bytes(kind, url, schema)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    turns = max(1.0, result["rps"] * args.seconds)
    cpu = {name: (cpu_after[name] - cpu_before.get(name, 0.0)) / turns * 1000
           for name in cpu_after}
    return {**result, "cpu_ms_per_turn": cpu, "host": host, "offered": args.live / args.every,
            "notify_p50": percentile(
        probe.latencies, 50), "notify_p99": percentile(probe.latencies, 99),
        "notify_n": len(probe.latencies), "probe_failures": probe.failures,
        "escalation_p50": percentile(probe.posts, 50),
        "escalation_p99": percentile(probe.posts, 99),
        "rss_idle_mib": rss_idle / 1024, "rss_loaded_mib": rss_loaded / 1024,
        "kib_per_conversation_ram": (rss_loaded - rss_idle) / args.live,
        "bytes_per_conversation_db": (size_loaded - size_idle) / args.live}


def echo_capacity(args: argparse.Namespace) -> float:
    """The host's floor for any Python service, measured in this run: a bare ASGI echo on the
    same uvicorn and worker count, driven flat out (unpaced) for 5 s at the same number of
    connections. The 2-core machines this runs on differ by 2-3x from one session to the
    next, so each run states its own reference."""
    from bench_http import serve
    from bench_http import wrk as unpaced

    port = free_port()
    env = {**os.environ, "WARMLINE_BENCH_KEY": "none"}
    proc = serve([sys.executable, "-m", "uvicorn", "echo_app:app", "--app-dir",
                  str(HERE / "http"), "--workers", str(args.workers), "--log-level", "warning",
                  "--port", str(port)], env)
    try:
        wait_up(f"http://127.0.0.1:{port}/healthz", proc)
        unpaced(port, 1, min(args.connections, args.live), env)  # warm-up
        return unpaced(port, 5, min(args.connections, args.live), env)["rps"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--live", type=int, default=5000, help="live conversations")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between turns")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=250)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--history", type=int, default=0,
                        help="earlier turns each live conversation has before timing")
    parser.add_argument("--no-echo", action="store_true",
                        help="skip the bare-echo reference measured first")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    echo = None if args.no_echo else echo_capacity(args)
    if echo is not None:
        print(f"host reference: bare ASGI echo flat out, same uvicorn/workers/connections: "
              f"{echo:.0f} req/s")
    print(f"{args.live} live conversations, a turn every {args.every:g} s each "
          f"(offered {args.live / args.every:.0f} turns/s), {args.seconds} s, "
          f"{min(args.connections, args.live)} connections, {args.workers} worker(s), "
          f"{args.history} earlier turns per conversation, "
          "loopback, load generator on the same 2 cores")
    for kind in args.db.split(","):
        r = run_one(kind.strip(), args)
        print(f"  {kind:<9} {r['rps']:7.0f} turns/s achieved  turn p50 {r['p50']:6.2f} ms  "
              f"p99 {r['p99']:6.2f} ms  non-2xx {r['non2xx']:.0f}  "
              f"socket errors {r['socket_errors']}"
              + (f"  ({r['rps'] / echo:.0%} of echo capacity)" if echo else ""))
        print(f"  {'':<9} notify (turn posted -> handoff.created on /v1/events) p50 "
              f"{r['notify_p50']:6.1f} ms  p99 {r['notify_p99']:6.1f} ms  "
              f"(n={r['notify_n']}, probe failures {r['probe_failures']})")
        print(f"  {'':<9} of which the escalating POST itself p50 {r['escalation_p50']:6.1f} ms  "
              f"p99 {r['escalation_p99']:6.1f} ms")
        print(f"  {'':<9} server RSS {r['rss_idle_mib']:.0f} -> {r['rss_loaded_mib']:.0f} MiB "
              f"({r['kib_per_conversation_ram']:.2f} KiB/conversation); storage "
              f"{r['bytes_per_conversation_db']:.0f} B/conversation")
        cpu = r["cpu_ms_per_turn"]
        print(f"  {'':<9} CPU per turn: " + ", ".join(
            f"{name} {ms:.2f} ms" for name, ms in cpu.items()) +  # type: ignore[union-attr]
            " (2 cores = 2 ms of CPU per turn at 1,000 turns/s)")
        host = r["host"]
        print(f"  {'':<9} machine during the run: {host['idle']:.0%} idle, "  # type: ignore[index]
              f"{host['steal']:.1%} stolen by the hypervisor")  # type: ignore[index]


if __name__ == "__main__":
    main()

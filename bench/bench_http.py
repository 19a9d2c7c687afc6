"""Benchmark: the hot path `POST /v1/conversations/{id}/turns` over HTTP (store the turns,
decide, on SQLite), side by side with a bare ASGI echo served the same way in the same run.
Load from wrk (Debian's `wrk`) on loopback, bounded in time; the load generator shares the
2 cores, so numbers are lower bounds.

    python bench/bench_http.py [--seconds 10] [--connections 32] [--workers 1]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def wrk(port: int, seconds: int, connections: int, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
         str(HERE / "http" / "turns.lua"), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {q: _ms(re.search(rf"\s{q}%\s+([\d.]+)(us|ms|s)", out)) for q in ("50", "99")}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"],
            "non2xx": float(errors.group(1)) if errors else 0.0}


def _ms(match: re.Match[str] | None) -> float:
    if match is None:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def serve(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        env = {**os.environ, "WARMLINE_DB": db, "WARMLINE_POLICY": "saas",
               "WARMLINE_RATE_LIMIT_PER_SECOND": "0"}
        key = subprocess.run([sys.executable, "-m", "warmline", "keys", "create", "--tenant",
                              "bench"], env=env, capture_output=True, text=True,
                             check=True).stdout.strip()
        env["WARMLINE_BENCH_KEY"] = key
        results = {}
        for name, command in (
            ("bare ASGI echo", [sys.executable, "-m", "uvicorn", "echo_app:app",
                                "--app-dir", str(HERE / "http"), "--workers",
                                str(args.workers), "--log-level", "warning"]),
            ("warmline turns (SQLite)", [sys.executable, "-m", "warmline", "serve",
                                         "--workers", str(args.workers), "--no-access-log"]),
        ):
            port = free_port()
            proc = serve([*command, "--port", str(port)], env)
            try:
                wait_up(f"http://127.0.0.1:{port}/healthz", proc)
                wrk(port, 2, args.connections, env)  # warm-up
                results[name] = wrk(port, args.seconds, args.connections, env)
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    floor = results["bare ASGI echo"]["rps"]
    print(f"hot path over HTTP: wrk -t1 -c{args.connections} -d{args.seconds}s, "
          f"{args.workers} worker(s), loopback, 2 shared cores")
    for name, r in results.items():
        print(f"  {name:<26} {r['rps']:8.0f} req/s  ({r['rps'] / floor:5.0%} of echo)  "
              f"p50 {r['p50']:6.2f} ms  p99 {r['p99']:6.2f} ms  non-2xx {r['non2xx']:.0f}")


if __name__ == "__main__":
    main()

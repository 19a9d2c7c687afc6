"""Two `warmline serve` processes on one PostgreSQL database: both take turns and accepts at
once; every escalation has exactly one handoff, and no handoff is accepted twice."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import pytest

from warmline.adapters.storage.migrations import upgrade
from warmline.bootstrap import build_services
from warmline.config import Settings

pytestmark = pytest.mark.postgres

POLICY = """
version: 1
name: two-servers
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: cancel, when: 'text.contains("cancel")', queue: desk}
queues:
  desk: {skills: [general]}
"""
CONVERSATIONS = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def two_servers(pg_schema: Callable[[], str], tmp_path: Path
                ) -> Iterator[tuple[list[str], str]]:
    url = pg_schema()
    upgrade(url)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db=url, policy=str(policy)))
    key = services.tenants.create_key("acme")
    services.close()
    env = {**os.environ, "WARMLINE_DB": url, "WARMLINE_POLICY": str(policy),
           "WARMLINE_SECRET_KEY": "test-secret", "WARMLINE_RATE_LIMIT_PER_SECOND": "0"}
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "warmline", "serve", "--port", str(p)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for p in ports]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for base, proc in zip(bases, procs, strict=True):
            _wait(base, proc)
        yield bases, key
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
            if proc.stderr is not None:
                proc.stderr.close()


def _wait(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "exited")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"{base} did not start")


def test_two_servers_share_one_database_without_losing_or_doubling(two_servers) -> None:
    bases, key = two_servers
    headers = {"Authorization": f"Bearer {key}"}
    clients = [httpx.Client(base_url=b, headers=headers, timeout=20) for b in bases]
    for i, client in enumerate(clients):  # reps are created through both servers
        for n in range(3):
            client.put(f"/v1/reps/r{i}{n}", json={"skills": ["general"], "capacity": 50,
                                                 "status": "available"}).raise_for_status()

    def converse(n: int) -> str:
        client = clients[n % 2]
        body = {"turns": [{"id": f"t{n}", "speaker": "customer", "text": "please cancel",
                           "at": "2026-11-24T10:00:00Z"}]}
        first = client.post(f"/v1/conversations/c{n}/turns", json=body)
        retry = clients[(n + 1) % 2].post(f"/v1/conversations/c{n}/turns", json=body)
        assert first.status_code == retry.status_code == 200
        assert first.json()["handoff_id"] == retry.json()["handoff_id"]  # idempotent
        return str(first.json()["handoff_id"])

    with ThreadPoolExecutor(8) as pool:
        handoff_ids = list(pool.map(converse, range(CONVERSATIONS)))
    assert len(set(handoff_ids)) == CONVERSATIONS

    def race(handoff_id: str) -> list[int]:
        attempts = [(clients[0], "r00"), (clients[1], "r10"), (clients[0], "r01")]
        with ThreadPoolExecutor(3) as pool:
            return list(pool.map(lambda a: a[0].post(
                f"/v1/handoffs/{handoff_id}/accept", json={"rep_id": a[1]}).status_code,
                attempts))

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(race, handoff_ids))
    for codes in outcomes:
        assert sorted(codes).count(200) <= 1
        assert set(codes) <= {200, 409}
    listed = clients[1].get("/v1/handoffs", params={"limit": 500}).json()["handoffs"]
    assert len(listed) == CONVERSATIONS
    accepted = [h for h in listed if h["status"] == "accepted"]
    offered = [h for h in listed if h["status"] == "offered"]
    assert len(accepted) == sum(codes.count(200) for codes in outcomes)
    assert len(accepted) + len(offered) == CONVERSATIONS
    reps = [clients[0].get(f"/v1/reps/r{i}{n}").json() for i in range(2) for n in range(3)]
    assert sum(r["active"] for r in reps) == CONVERSATIONS  # offered + accepted slots
    assert all(r["active"] <= r["capacity"] for r in reps)
    for client in clients:
        client.close()


def test_an_event_committed_on_one_server_wakes_streams_on_the_other(two_servers) -> None:
    bases, key = two_servers
    headers = {"Authorization": f"Bearer {key}"}
    seen: list[float] = []
    connected = threading.Event()

    def listen() -> None:
        with httpx.Client(base_url=bases[0], headers=headers, timeout=20) as client, \
                client.stream("GET", "/v1/events") as stream:
            for line in stream.iter_lines():
                connected.set()
                if line == "event: handoff.created":
                    seen.append(time.perf_counter())
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert connected.wait(10)
    time.sleep(0.3)  # the stream is now waiting (its fallback poll is 5 s on PostgreSQL)
    posted = time.perf_counter()
    body = {"turns": [{"speaker": "customer", "text": "please cancel",
                       "at": "2026-11-24T10:00:00Z"}]}
    response = httpx.post(f"{bases[1]}/v1/conversations/x1/turns", json=body, headers=headers)
    assert response.status_code == 200
    listener.join(timeout=10)
    assert seen, "the event never reached the other server's stream"
    latency = seen[0] - posted
    print(f"cross-worker event latency: {latency * 1000:.0f} ms")
    assert latency < 1.5  # far under the 5 s poll: LISTEN/NOTIFY woke the stream

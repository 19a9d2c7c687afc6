"""What the fault scripts share: a throwaway database (a PostgreSQL schema or a SQLite file),
a `warmline serve --workers N` process, a client load that records every turn and accept the
server confirmed (2xx), and the database check that every confirmed write is there once.

Loopback only. Counts, not timings: the scripts print what happened and exit 1 on a violation.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from warmline.adapters.storage.migrations import upgrade
from warmline.bootstrap import build_services
from warmline.config import Settings

PG_URL = os.environ.get("WARMLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
POLICY = """
version: 1
name: faults
timezone: UTC
defaults: {queue: desk}
triggers:
  - {name: cancel, when: 'text.contains("cancel")', queue: desk}
queues:
  desk: {skills: [general]}
"""
REPS = ("ann", "bob", "cy", "di")
#: A request that takes longer than this is a hang.
CLIENT_TIMEOUT = 15.0


@dataclass
class Database:
    url: str
    drop: Any = None

    def close(self) -> None:
        if self.drop is not None:
            self.drop()


def make_database(kind: str) -> Database:
    """A migrated, empty database: a fresh PostgreSQL schema or a SQLite file."""
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="wl-faults-")) / "warmline.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        return Database(url)
    name = f"wl_faults_{secrets.token_hex(5)}"
    admin = sa.create_engine(PG_URL, pool_pre_ping=True)  # it outlives a restart
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={name}"})
    rendered = url.render_as_string(hide_password=False)
    upgrade(rendered)

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()

    return Database(rendered, drop)


def make_tenant(url: str, policy_dir: Path) -> tuple[str, Path]:
    policy = policy_dir / "policy.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db=url, policy=str(policy)))
    key = services.tenants.create_key("acme")
    services.close()
    return key, policy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`warmline serve --workers N` on a loopback port."""

    def __init__(self, url: str, policy: Path, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "WARMLINE_DB": url, "WARMLINE_POLICY": str(policy),
               "WARMLINE_SECRET_KEY": "faults", "WARMLINE_RATE_LIMIT_PER_SECOND": "0"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "warmline", "serve", "--port", str(self.port),
             "--workers", str(workers)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        self.wait_ready(workers)

    def worker_pids(self) -> list[int]:
        """The worker processes (uvicorn's spawned children), not the supervisor."""
        found = []
        for pid in _children(self.proc.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline or b"warmline" in cmdline:
                found.append(pid)
        return found

    def wait_ready(self, workers: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"warmline serve exited with {self.proc.returncode}")
            try:
                ok = httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok and (workers == 1 or len(self.worker_pids()) >= workers):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.base} did not start")

    def kill_a_worker(self, rng: random.Random) -> int:
        pids = self.worker_pids()
        if not pids:
            raise RuntimeError("no worker process to kill")
        pid = rng.choice(pids)
        os.kill(pid, signal.SIGKILL)
        return pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except OSError:
            continue
    return found


@dataclass
class Record:
    """What the clients were told: only 2xx answers count as accepted."""

    turns: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    handoffs: dict[str, str] = field(default_factory=dict)  # conversation -> handoff id
    accepts: list[tuple[str, str]] = field(default_factory=list)  # (handoff, rep) on 200
    statuses: Counter[int] = field(default_factory=Counter)
    retry_after_missing: int = 0
    hangs: int = 0
    transport_errors: int = 0  # connections that died under a request (then retried)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self, code: int, response: httpx.Response | None = None) -> None:
        with self.lock:
            self.statuses[code] += 1
            if code == 503 and response is not None and "retry-after" not in response.headers:
                self.retry_after_missing += 1


class Load:
    """Client threads posting conversations (a third of them escalate) and reps accepting
    offered handoffs; a failed request is retried with the same turn id until it gets 2xx."""

    def __init__(self, base: str, key: str, record: Record, *, prefix: str,
                 threads: int = 6) -> None:
        self.base, self.record, self.prefix = base, record, prefix
        self.headers = {"Authorization": f"Bearer {key}"}
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._converse, args=(i,), daemon=True)
                        for i in range(threads)]
        self.threads.append(threading.Thread(target=self._accept, daemon=True))

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=CLIENT_TIMEOUT * 4)

    def _send(self, client: httpx.Client, method: str, path: str, body: Any,
              *, retry: bool) -> httpx.Response | None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                response = client.request(method, path, json=body)
            except httpx.TimeoutException:
                with self.record.lock:
                    self.record.hangs += 1
                response = None
            except httpx.TransportError:  # the worker died under us
                with self.record.lock:
                    self.record.transport_errors += 1
                response = None
            if response is not None:
                self.record.status(response.status_code, response)
                if response.status_code < 500 or not retry:
                    return response
                if time.monotonic() - started > CLIENT_TIMEOUT:
                    with self.record.lock:
                        self.record.hangs += 1
            if not retry:
                return response
            # A polite client: wait as told by a 503 (at most 1 s), else a moment.
            wait = response.headers.get("retry-after") if response is not None else None
            time.sleep(min(float(wait), 1.0) if wait and wait.isdigit() else 0.05)
        return None

    def _converse(self, n: int) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers,
                          timeout=CLIENT_TIMEOUT) as client:
            count = 0
            while not self.stop.is_set():
                count += 1
                conv = f"{self.prefix}-{n}-{count}"
                texts = ["hi, a question about my bill", "thanks, and one more thing"]
                texts.append("I want to cancel" if count % 3 == 0 else "all good, bye")
                for i, text in enumerate(texts):
                    body = {"turns": [{"id": f"t{i}", "speaker": "customer", "text": text,
                                       "at": "2026-11-24T10:00:00Z"}]}
                    response = self._send(client, "POST", f"/v1/conversations/{conv}/turns",
                                          body, retry=True)
                    if response is None or response.status_code != 200:
                        break
                    with self.record.lock:
                        self.record.turns[conv].add(f"t{i}")
                        if response.json().get("handoff_id"):
                            self.record.handoffs[conv] = response.json()["handoff_id"]

    def _accept(self) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers,
                          timeout=CLIENT_TIMEOUT) as client:
            for rep in REPS:
                self._send(client, "PUT", f"/v1/reps/{rep}",
                           {"skills": ["general"], "capacity": 50, "status": "available"},
                           retry=True)
            while not self.stop.is_set():
                listed = self._send(client, "GET", "/v1/handoffs?status=offered&limit=50",
                                    None, retry=False)
                if listed is None or listed.status_code != 200:
                    continue
                for handoff in listed.json()["handoffs"]:
                    # The offered rep and a rival at once: at most one may win.
                    rivals = [handoff["rep_id"], random.choice(REPS)]
                    won = self._race_accept(client, handoff["id"], rivals)
                    with self.record.lock:
                        self.record.accepts.extend((handoff["id"], rep) for rep in won)

    def _race_accept(self, client: httpx.Client, handoff_id: str, rivals: list[str]
                     ) -> list[str]:
        won: list[str] = []

        def accept(rep: str) -> None:
            response = self._send(client, "POST", f"/v1/handoffs/{handoff_id}/accept",
                                  {"rep_id": rep}, retry=False)
            if response is not None and response.status_code == 200:
                won.append(rep)

        workers = [threading.Thread(target=accept, args=(rep,)) for rep in rivals]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        return won


def check_database(url: str, record: Record) -> list[str]:
    """Every violation of: accepted turns stored, one handoff per escalation, no handoff
    lost or accepted twice, rep slots matching their handoffs."""
    engine = sa.create_engine(url)
    problems: list[str] = []
    try:
        with engine.connect() as connection:
            stored = {cid: (data, handoff_id) for cid, data, handoff_id in connection.execute(
                sa.text("SELECT id, data, handoff_id FROM conversations"))}
            handoffs = {hid: (conv, status, rep) for hid, conv, status, rep in connection.execute(
                sa.text("SELECT id, conversation_id, status, rep_id FROM handoffs"))}
            reps = dict(connection.execute(sa.text("SELECT id, active FROM reps")).all())
    finally:
        engine.dispose()
    problems += _check_turns(stored, record)
    problems += _check_handoffs(stored, handoffs, record)
    busy = Counter(rep for _, status, rep in handoffs.values()
                   if status in ("offered", "accepted") and rep)
    for rep, active in reps.items():
        if active != busy.get(rep, 0):
            problems.append(f"rep {rep}: active {active} but {busy.get(rep, 0)} handoffs")
    return problems


def _check_turns(stored: dict[str, Any], record: Record) -> list[str]:
    problems = []
    for conv, accepted in record.turns.items():
        data = stored.get(conv, (None, None))[0]
        data = data if isinstance(data, dict) else _json(data)
        ids = [t.get("id") for t in (data or {}).get("turns", [])]
        if missing := accepted - set(ids):
            problems.append(f"conversation {conv}: accepted turns {sorted(missing)} not stored")
        if len(ids) != len(set(ids)):
            problems.append(f"conversation {conv}: a turn stored twice {ids}")
    return problems


def _check_handoffs(stored: dict[str, Any], handoffs: dict[str, Any],
                    record: Record) -> list[str]:
    problems = []
    per_conversation = Counter(conv for conv, _, _ in handoffs.values())
    for conv, count in per_conversation.items():
        if count != 1:
            problems.append(f"conversation {conv}: {count} handoffs")
    for conv, (_, handoff_id) in stored.items():
        if handoff_id is not None and handoff_id not in handoffs:
            problems.append(f"conversation {conv}: handoff {handoff_id} lost")
    for conv, handoff_id in record.handoffs.items():
        if handoffs.get(handoff_id, (None,))[0] != conv:
            problems.append(f"handoff {handoff_id} told to the client for {conv} is lost")
    wins = Counter(handoff for handoff, _ in record.accepts)
    for handoff, count in wins.items():
        if count > 1:
            problems.append(f"handoff {handoff}: accepted {count} times")
    for handoff, rep in record.accepts:
        _, status, holder = handoffs.get(handoff, (None, None, None))
        if status != "accepted" or holder != rep:
            problems.append(f"handoff {handoff}: accepted by {rep} but stored {status}/{holder}")
    return problems


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


def summary(record: Record) -> str:
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(record.statuses.items()))
    return (f"turns accepted {sum(len(t) for t in record.turns.values())}, "
            f"conversations {len(record.turns)}, escalations {len(record.handoffs)}, "
            f"accepts won {len(record.accepts)}; answers {{{codes}}}, "
            f"dropped connections {record.transport_errors}")

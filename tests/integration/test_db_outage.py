"""The database goes away: clients get a quick 503 with Retry-After (never a hang or a 500),
and the service recovers by itself when the database returns.

`test_postgres_restart_gives_503_then_recovers` stops and starts the real PostgreSQL cluster
for a few seconds. It runs in CI; set WARMLINE_SKIP_DB_RESTART=1 to skip it on a machine
whose PostgreSQL other work is using.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc

from warmline.adapters.storage.engine import STATEMENT_TIMEOUT_MS
from warmline.adapters.storage.memory import InMemoryStore
from warmline.adapters.storage.migrations import upgrade
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.testing import FakeClock
from warmline.web.app import create_app

POLICY = """
version: 1
name: outage
timezone: UTC
defaults: {queue: desk}
queues:
  desk: {skills: [general]}
"""
#: The longest a request may take while the database is down (connect timeout is 3 s).
OUTAGE_ANSWER_SECONDS = 6.0


def _app(tmp_path: Path, store: Any) -> tuple[TestClient, str]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=store,
                              clock=FakeClock())
    key = services.tenants.create_key("acme")
    return TestClient(create_app(services, sweep=False)), key


def _turn(client: TestClient, key: str, conv: str, turn_id: str) -> Any:
    body = {"turns": [{"id": turn_id, "speaker": "customer", "text": "hello there",
                       "at": "2026-11-24T17:58:05+00:00"}]}
    return client.post(f"/v1/conversations/{conv}/turns", json=body,
                       headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("error", [
    sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection")),
    sa_exc.InterfaceError("SELECT 1", {}, Exception("connection is closed")),
    sa_exc.TimeoutError("QueuePool limit of size 10 overflow 20 reached"),
], ids=["operational", "interface", "pool-timeout"])
def test_database_errors_that_escape_the_store_are_503_with_retry_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    client, key = _app(tmp_path, InMemoryStore())
    with client:
        services = client.app.state.services  # type: ignore[attr-defined]

        def fail(*_args: Any) -> Any:
            raise error

        monkeypatch.setattr(services.turns, "post_turns", fail)
        response = _turn(client, key, "c-1", "t-1")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["type"] == "unavailable"


@pytest.mark.postgres
def test_postgres_sessions_have_a_statement_timeout(pg_url: str) -> None:
    store = SqlStore(pg_url)
    try:
        with store.engine.connect() as connection:
            shown = connection.execute(sa.text("SHOW statement_timeout")).scalar()
    finally:
        store.close()
    assert shown == f"{STATEMENT_TIMEOUT_MS // 1000}s"


def _cluster() -> list[str]:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions or shutil.which("pg_ctlcluster") is None or os.geteuid() != 0:
        message = "needs pg_ctlcluster and root to restart the local PostgreSQL"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main"]


def _pg_ready(timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"],
                               check=False, timeout=5)
        if ready.returncode == 0:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def pg_outage() -> Iterator[Callable[[], None]]:
    """`stop()` stops the PostgreSQL cluster; it is always started again, even on failure."""
    cluster = _cluster()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        stopped = True
        subprocess.run([*cluster, "stop", "-m", "fast"], check=True, timeout=30)

    try:
        yield stop
    finally:
        if stopped:
            subprocess.run([*cluster, "start"], check=False, timeout=60)
            assert _pg_ready(30), "PostgreSQL did not come back"


@pytest.mark.postgres
@pytest.mark.skipif(os.environ.get("WARMLINE_SKIP_DB_RESTART") == "1",
                    reason="WARMLINE_SKIP_DB_RESTART=1: not restarting the shared PostgreSQL")
def test_postgres_restart_gives_503_then_recovers(
        tmp_path: Path, pg_schema: Callable[[], str],
        pg_outage: Callable[[], None]) -> None:
    url = pg_schema()
    upgrade(url)
    store = SqlStore(url)
    client, key = _app(tmp_path, store)
    try:
        with client:
            assert _turn(client, key, "c-before", "t-1").status_code == 200
            pg_outage()
            started = time.monotonic()
            down = _turn(client, key, "c-during", "t-1")
            elapsed = time.monotonic() - started
            listing = client.get("/v1/handoffs", headers={"Authorization": f"Bearer {key}"})
            subprocess.run([*_cluster(), "start"], check=True, timeout=60)
            assert _pg_ready(30)
            # The first request after the restart: pre-ping replaces the dead connections.
            after = _turn(client, key, "c-after", "t-1")
    finally:
        store.close()
    assert down.status_code == 503, down.text
    assert down.headers["retry-after"] == "1"
    assert down.json()["error"]["type"] == "unavailable"
    assert elapsed < OUTAGE_ANSWER_SECONDS
    assert listing.status_code == 503
    assert after.status_code == 200, after.text
    check = SqlStore(url)
    try:
        with check.engine.connect() as connection:
            stored = set(connection.execute(sa.text("SELECT id FROM conversations")).scalars())
    finally:
        check.close()
    assert stored == {"c-before", "c-after"}  # the refused turn was not half-stored

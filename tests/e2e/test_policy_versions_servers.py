"""Policy versions across two `warmline serve` processes on one PostgreSQL database: the
first turn is decided under version 1, seeded from `--policy`; a version published in the
database (by another process) decides the next turn on both servers within a second, with
no restart, and the handoff's record names the version it was decided under."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from warmline.adapters.storage.migrations import upgrade
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.service.policy_versions import VersionState

from .test_two_servers_postgres import POLICY, _wait, free_port

pytestmark = pytest.mark.postgres

#: Version 2: cancellations no longer escalate.
NO_CANCEL = POLICY.replace("""triggers:
  - {name: cancel, when: 'text.contains("cancel")', queue: desk}
""", "")


@pytest.fixture
def servers(pg_schema: Callable[[], str], tmp_path: Path
            ) -> Iterator[tuple[list[str], str, str]]:
    url = pg_schema()
    upgrade(url)
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db=url, policy=str(policy)))
    key = services.tenants.create_key("acme")
    services.close()
    env = {**os.environ, "WARMLINE_DB": url, "WARMLINE_SECRET_KEY": "test-secret",
           "WARMLINE_RATE_LIMIT_PER_SECOND": "0"}
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "warmline", "serve", "--port", str(p),
                               "--policy", str(policy)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for p in ports]
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for base, proc in zip(bases, procs, strict=True):
            _wait(base, proc)
        yield bases, key, url
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)
            if proc.stderr is not None:
                proc.stderr.close()


def _turn(client: httpx.Client, conv: str, text: str) -> dict[str, object]:
    body = {"turns": [{"id": "t1", "speaker": "customer", "text": text,
                       "at": "2026-11-24T10:00:00Z"}]}
    answer = client.post(f"/v1/conversations/{conv}/turns", json=body)
    answer.raise_for_status()
    result: dict[str, object] = answer.json()
    return result


def test_a_publish_is_in_force_on_both_servers_within_a_second(servers) -> None:
    bases, key, url = servers
    headers = {"Authorization": f"Bearer {key}"}
    clients = [httpx.Client(base_url=b, headers=headers, timeout=20) for b in bases]
    try:
        _publish_and_see(clients, bases, url)
    finally:
        for client in clients:
            client.close()


def _publish_and_see(clients: list[httpx.Client], bases: list[str], url: str) -> None:
    first = _turn(clients[0], "a", "please cancel")
    assert (first["action"], first["policy_version"]) != ("continue", None)
    assert first["policy_version"] == 1
    handoff = clients[1].get(f"/v1/handoffs/{first['handoff_id']}").json()
    assert handoff["decision"]["policy_version"] == 1
    assert _turn(clients[1], "b", "please cancel")["policy_version"] == 1

    services = build_services(Settings(db=url))
    try:
        acme = services.tenants.existing("acme")
        assert services.tenants.policies is not None
        versions = services.tenants.policies.versions
        assert [v.state for v in versions.all_versions(acme.id)] == [VersionState.PUBLISHED]
    finally:
        services.close()
    # Through server 0's API: a draft, then publish; server 1 learns of it from the database.
    clients[0].put("/v1/policy/draft", json={"yaml": NO_CANCEL, "note": "no cancel trigger"},
                   headers={"If-Match": '"none"'}).raise_for_status()
    clients[0].post("/v1/policy/publish", json={"note": "go"}).raise_for_status()
    published = time.monotonic()
    for n, client in enumerate(clients):
        answer = _turn(client, f"after-{n}", "please cancel")
        while answer["policy_version"] != 2 and time.monotonic() - published < 1.0:
            time.sleep(0.05)
            answer = _turn(client, f"after-{n}-{time.monotonic()}", "please cancel")
        assert answer["policy_version"] == 2, f"{bases[n]} still decides under version 1"
        assert answer["action"] == "continue"
    assert time.monotonic() - published < 1.5

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warmline.adapters.storage.memory import InMemoryStore
from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.service.ports import Store
from warmline.testing import FakeClock
from warmline.web.app import create_app

POLICY = """
version: 1
name: api-test
timezone: UTC
defaults: {queue: desk, threshold: 0.6}
signals: {human_requested: true, frustration: 0.8, ai_failures: 2}
triggers:
  - name: cancellation
    when: text.lowerAscii().contains("cancel")
    queue: retention
    priority: 90
    tags: [cancellation-risk]
queues:
  desk: {skills: [general]}
  retention: {skills: [retention], overflow: {after_seconds: 60, to: desk}}
"""


@dataclass
class Api:
    client: TestClient
    services: Services
    clock: FakeClock
    key: str
    other_key: str

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def post(self, path: str, json: Any = None, key: str | None = None, **kw: Any) -> Any:
        return self.client.post(path, json=json, headers=self.headers(key), **kw)

    def get(self, path: str, key: str | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers(key), **kw)

    def put(self, path: str, json: Any, key: str | None = None) -> Any:
        return self.client.put(path, json=json, headers=self.headers(key))

    def turn(self, conv: str, text: str, *, speaker: str = "customer", turn_id: str | None = None,
             key: str | None = None, **extra: Any) -> Any:
        turn = {"speaker": speaker, "text": text, "at": self.clock.now().isoformat(), **extra}
        if turn_id:
            turn["id"] = turn_id
        return self.post(f"/v1/conversations/{conv}/turns", {"turns": [turn]}, key=key)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, emptier: Callable[[SqlStore], None]
          ) -> Iterator[Store]:
    """The same API tests on every store: in memory, SQLite and PostgreSQL."""
    if request.param == "memory":
        yield InMemoryStore()
        return
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    sql = SqlStore(url)
    emptier(sql)
    yield sql
    sql.close()


@contextmanager
def serve_api(tmp_path: Path, store: Store, policy_text: str, **settings: Any) -> Iterator[Api]:
    """An app on `store` under `policy_text` (tenants acme and globex, each with a key)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(policy_text)
    clock = FakeClock()
    services = build_services(Settings(db="memory:", policy=str(policy), **settings),
                              store=store, clock=clock)
    key = services.tenants.create_key("acme")
    other = services.tenants.create_key("globex")
    with TestClient(create_app(services, sweep=False)) as client:
        yield Api(client, services, clock, key, other)


@pytest.fixture
def api(tmp_path: Path, store: Store) -> Iterator[Api]:
    with serve_api(tmp_path, store, POLICY) as found:
        yield found

"""The server the integration tests talk to: a store (memory or SQLite, one per `STORES`
parameter), a policy file per tenant (the test file's own rules, plus that tenant's
`integrations:` settings), the tenants, their API keys and a `TestClient` over `create_app`.

    @pytest.fixture(params=harness.STORES)
    def env(request: pytest.FixtureRequest) -> Iterator[Env]:
        with harness.serve(request, RULES, {"acme": {"vapi": {"hmac_secret": "k"}},
                                            "initech": {}}, keys=("acme",)) as app:
            yield Env(app.client, app.services, app.clock, app.keys["acme"])

where `Env` is the file's own `harness.App` subclass. Reading conversations and handoffs
back from the store is `stored.py`'s part."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
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

#: The stores every integration test runs on (the `env` fixture's params, and the test ids).
STORES = ("memory", "sqlite")

#: A tenant's `integrations:` section: platform -> its settings (secrets, ids, options).
Integrations = Mapping[str, Mapping[str, object]]

_HEAD = """version: 1
name: {name}
timezone: UTC
defaults: {{queue: desk, threshold: 0.6}}
"""


def policy(name: str, rules: str, integrations: Integrations) -> str:
    """A tenant's policy YAML: the shared head (version, `name`, UTC, defaults to `desk` at
    threshold 0.6), the test file's `rules` (its triggers and queues), then `integrations`
    in flow style (`vapi: {hmac_secret: "…"}`); no section when there are none."""
    text = _HEAD.format(name=name) + rules.strip("\n") + "\n"
    if not integrations:
        return text
    lines = ["integrations:"]
    for platform, settings in integrations.items():
        pairs = ", ".join(f"{key}: {json.dumps(value)}" for key, value in settings.items())
        lines.append(f"  {platform}: {{{pairs}}}")
    return text + "\n".join(lines) + "\n"


@dataclass
class App:
    """What a test talks to and looks into. Each test file's `Env` extends it with the keys
    it uses and its platform's way of sending (payloads, signatures)."""

    client: TestClient
    services: Services
    clock: FakeClock

    def api_escalation(self, conversation_id: str, text: str, *, key: str) -> str:
        """Posts a customer turn saying `text` (now) through `/v1/conversations/{id}/turns`
        as `key`'s tenant; the id of the handoff the answer names."""
        turn = {"id": "t1", "speaker": "customer", "text": text,
                "at": self.clock.now().isoformat()}
        response = self.client.post(f"/v1/conversations/{conversation_id}/turns",
                                    json={"turns": [turn]},
                                    headers={"Authorization": f"Bearer {key}"})
        handoff_id: str = response.json()["handoff_id"]
        return handoff_id

    def api_handoff(self, handoff_id: str, key: str) -> dict[str, Any]:
        """The handoff as `GET /v1/handoffs/{id}` shows it to `key`'s tenant (asserted 200)."""
        response = self.client.get(f"/v1/handoffs/{handoff_id}",
                                   headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


@dataclass
class Served(App):
    keys: dict[str, str]
    """A new API key of each tenant named in `serve(keys=…)`."""


def _open_store(request: pytest.FixtureRequest) -> Store:
    if request.param == "memory":
        return InMemoryStore()
    if request.param == "sqlite":
        return SqlStore(request.getfixturevalue("empty_sqlite_url"))
    raise ValueError(f"no store {request.param!r}; STORES are {STORES}")


@contextmanager
def serve(request: pytest.FixtureRequest, rules: str, tenants: Mapping[str, Integrations], *,
          keys: Iterable[str] = (), clock: FakeClock | None = None) -> Iterator[Served]:
    """The app on the store `request.param` names (SQLite emptied first), with each of
    `tenants` (name -> its integrations) holding its own policy file (`<name>.yaml` in the
    test's tmp_path). The first tenant's file is also the server's default policy. The store
    is closed on the way out."""
    tmp_path: Path = request.getfixturevalue("tmp_path")
    paths = {}
    for name, integrations in tenants.items():
        paths[name] = str(tmp_path / f"{name}.yaml")
        Path(paths[name]).write_text(policy(name, rules, integrations))
    store = _open_store(request)
    try:
        clock = clock or FakeClock()
        services = build_services(Settings(db="memory:", policy=next(iter(paths.values()))),
                                  store=store, clock=clock)
        for name, path in paths.items():
            services.tenants.ensure_tenant(name, policy=path)
        made = {name: services.tenants.create_key(name) for name in keys}
        with TestClient(create_app(services, sweep=False)) as client:
            yield Served(client, services, clock, made)
    finally:
        store.close()

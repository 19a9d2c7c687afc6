"""API keys: rate-limited as authenticated, revocable from the CLI or the API, and a revoked
key gets 401 on every route and worker, the hot path included, without a restart."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from warmline.adapters.storage.sql import SqlStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.service import tenants as tenants_module
from warmline.web import events as events_module
from warmline.web.app import create_app

from .conftest import Site

TURN = {"turns": [{"speaker": "customer", "text": "hello"}]}


def test_spaces_after_bearer_share_the_keys_rate_limit(site: Site) -> None:
    site.app.state.rate_limiter.rate = 0.001
    site.app.state.rate_limiter.burst = 4.0
    client = site.client()
    statuses = []
    for spaces in range(1, 42, 4):  # `Bearer` + 1..41 spaces + the key: one key, one bucket
        header = {"Authorization": "Bearer" + " " * spaces + site.key}
        statuses.append(client.get("/v1/handoffs", headers=header).status_code)
        statuses.append(client.post("/v1/conversations/c-1/turns", json=TURN,
                                    headers=header).status_code)  # the hot path
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}


def test_unknown_keys_keep_the_limiter_bounded(site: Site) -> None:
    site.app.state.rate_limiter.max_keys = 20
    client = site.client()
    for i in range(60):
        assert client.get("/v1/handoffs", headers=site.bearer(f"wl_made-up-{i}")
                          ).status_code == 401
    assert len(site.app.state.rate_limiter) == 20


ROUTES = [("GET", "/v1/handoffs", None), ("POST", "/v1/conversations/c-2/turns", TURN),
          ("POST", "/v1/decide", {"id": "c-3", **TURN}), ("GET", "/v1/queues", None),
          ("GET", "/v1/metrics", None), ("GET", "/metrics", None),
          ("GET", "/v1/events", None), ("GET", "/v1/reps/alice", None),
          ("POST", "/integrations/generic", {"conversation_id": "c-4", **TURN})]


def test_a_key_revoked_over_the_api_gets_401_everywhere_at_once(site: Site) -> None:
    client = site.client()
    assert client.post("/v1/conversations/c-1/turns", json=TURN,
                       headers=site.bearer()).status_code == 200  # cached now
    admin, csrf = site.logged_in("ada")
    listed = admin.get("/v1/keys").json()["keys"]
    assert [k["prefix"] for k in listed] == [site.key[:10]]
    assert site.key not in str(listed)
    revoked = admin.delete(f"/v1/keys/{listed[0]['id']}", headers=csrf)
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True
    for method, path, body in ROUTES:
        response = client.request(method, path, json=body, headers=site.bearer())
        assert response.status_code == 401, (path, response.text)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_workers(request: pytest.FixtureRequest, emptier: Any) -> Iterator[list[Services]]:
    """Two server workers' services on one database, each with its own key cache."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    store = SqlStore(url)
    emptier(store)
    store.close()
    workers = [build_services(Settings(db=url)) for _ in range(2)]
    yield workers
    for services in workers:
        services.close()


def test_a_revocation_reaches_other_workers_within_the_cache_time(
        two_workers: list[Services], monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    here = two_workers[0]
    key = here.tenants.create_key("acme")
    header = {"Authorization": f"Bearer {key}"}
    with contextlib.ExitStack() as running:  # lifespans run: PostgreSQL's async pools close
        clients = [running.enter_context(TestClient(create_app(services, sweep=False)))
                   for services in two_workers]
        for client in clients:
            assert client.post("/v1/conversations/c-1/turns", json=TURN,
                               headers=header).status_code == 200
        record = here.tenants.revoke_key(None, key[:10])
        assert record.revoked
        assert clients[0].post("/v1/conversations/c-1/turns", json=TURN,
                               headers=header).status_code == 401  # this worker: at once
        later = tenants_module.monotonic() + tenants_module.AUTH_CACHE_SECONDS + 0.01
        monkeypatch.setattr(tenants_module, "monotonic", lambda: later)
        for method, path, body in ROUTES:
            response = clients[1].request(method, path, json=body, headers=header)
            assert response.status_code == 401, (path, response.text)


def test_the_key_cache_trusts_a_key_for_seconds_not_minutes() -> None:
    assert tenants_module.AUTH_CACHE_SECONDS <= 5


def test_a_new_key_is_shown_once_and_listed_by_prefix(site: Site) -> None:
    admin, csrf = site.logged_in("ada")
    made = admin.post("/v1/keys", headers=csrf)
    assert made.status_code == 201
    key = made.json()["key"]
    assert key.startswith("wl_")
    assert made.json()["prefix"] == key[:10]
    listing = admin.get("/v1/keys").text
    assert key not in listing
    assert made.json()["id"] in listing
    assert site.client().get("/v1/handoffs", headers=site.bearer(key)).status_code == 200
    assert admin.delete("/v1/keys/k-nope", headers=csrf).status_code == 404


@pytest.mark.parametrize("credential", ["key", "session"])
def test_an_open_event_stream_ends_when_its_key_is_revoked_or_session_ends(
        site: Site, credential: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_module, "RECHECK_SECONDS", 0.0)  # check on every poll
    if credential == "key":
        client, headers = site.client(), site.bearer()
    else:
        client, headers = site.logged_in("alice")
    lines: list[str] = []

    def listen() -> None:
        with client.stream("GET", "/v1/events", headers=headers) as response:
            assert response.status_code == 200
            lines.extend(response.iter_lines())

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(1.0)
    assert listener.is_alive()  # streaming
    if credential == "key":
        site.services.tenants.revoke_key(site.acme, site.key[:10])
    else:
        site.services.tenants.end_sessions(site.acme.id, site.services.tenants.list_users(
            site.acme)[1].id)
    listener.join(timeout=5)
    assert not listener.is_alive()
    assert lines[0] == "retry: 1000"

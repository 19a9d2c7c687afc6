"""`GET /v1/events`: ids that show a tenant nothing of other tenants' activity (the event log
numbers all tenants' events in one sequence), resuming from them on any worker sharing the
secret, and at most `max_event_streams` open streams per API key and per desk user."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.core.handoff import Role
from warmline.service.ports import Store
from warmline.testing import FakeClock
from warmline.web.app import create_app
from warmline.web.event_ids import EventIds
from warmline.web.events import resume_from
from warmline.web.stream_slots import StreamSlots

from .conftest import POLICY, Api

SECRET = "a-shared-secret-of-the-workers-0123456789"
IDS = EventIds(b"k" * 32)


def events(lines: Any, count: int) -> list[tuple[str, str]]:
    """The next `count` events of a stream as (id, event type)."""
    found: list[tuple[str, str]] = []
    shown = None
    for line in lines:
        if line.startswith("id: "):
            shown = line.removeprefix("id: ")
        elif line.startswith("event: "):
            assert shown is not None, "an event without an id"
            found.append((shown, line.removeprefix("event: ")))
            if len(found) == count:
                return found
    raise AssertionError(f"the stream ended after {found}")


def test_ids_shown_to_a_tenant_do_not_reveal_other_tenants_events(api: Api) -> None:
    """acme, globex, acme: acme used to see ids 1 and 3 and learn of globex's event 2."""
    api.turn("c-1", "I want to cancel")
    api.turn("g-1", "I want to cancel", key=api.other_key)
    api.turn("c-2", "I want to cancel too")
    with api.client.stream("GET", "/v1/events?after=0", headers=api.headers()) as stream:
        seen = events(stream.iter_lines(), 2)
    assert [kind for _, kind in seen] == ["handoff.created", "handoff.created"]
    shown = [token for token, _ in seen]
    assert not any(token.isdigit() for token in shown), shown
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in shown), shown
    ids: EventIds = api.client.app.state.event_ids  # type: ignore[attr-defined]
    acme = api.services.tenants.find("acme")
    assert acme is not None
    first, second = (ids.read(acme.id, token) for token in shown)
    assert first is not None
    assert second is not None
    assert second - first > 1  # the log has globex's event between them: the ids hide it


def test_another_tenants_id_resumes_nothing(api: Api) -> None:
    api.turn("c-1", "I want to cancel")
    with api.client.stream("GET", "/v1/events?after=0", headers=api.headers()) as stream:
        [(acme_id, _)] = events(stream.iter_lines(), 1)
    refused = api.get(f"/v1/events?after={acme_id}", key=api.other_key)
    assert refused.status_code == 422
    assert refused.json()["error"]["problems"][0]["path"] == "after"
    for bad in ("5", "-1", "abc", acme_id[:-1] + ("A" if acme_id[-1] != "A" else "B")):
        assert api.get(f"/v1/events?after={bad}").status_code == 422, bad


@pytest.mark.parametrize(("after", "last", "expected"), [
    (None, "²", None), (None, "9" * 40, None), (None, "abc", None), (None, None, None),
    (None, "42", None),  # a bare number is no id: it would reveal the shared sequence
    (None, IDS.show("t-1", 42), 42), ("0", IDS.show("t-1", 42), 0),
    (IDS.show("t-1", 7), IDS.show("t-1", 42), 7),
    (None, IDS.show("t-2", 42), None),  # another tenant's token
    (None, EventIds(b"other secret").show("t-1", 42), None),
])
def test_a_stream_resumes_only_from_an_id_it_showed_this_tenant(
        after: str | None, last: str | None, expected: int | None) -> None:
    assert resume_from(after, last, "t-1", IDS) == expected


@pytest.fixture
def two_workers(tmp_path: Path, store: Store) -> Iterator[tuple[Api, TestClient]]:
    """Two apps on one store with one WARMLINE_SECRET_KEY, as `serve --workers 2` runs."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    clock = FakeClock()
    services = build_services(Settings(db="memory:", policy=str(policy), secret_key=SECRET),
                              store=store, clock=clock)
    key = services.tenants.create_key("acme")
    other = services.tenants.create_key("globex")
    with TestClient(create_app(services, sweep=False)) as first, \
            TestClient(create_app(services, sweep=False)) as second:
        yield Api(first, services, clock, key, other), second


def test_last_event_id_resumes_on_another_worker_without_a_loss_or_a_repeat(
        two_workers: tuple[Api, TestClient]) -> None:
    api, second = two_workers
    api.turn("c-1", "I want to cancel")
    with api.client.stream("GET", "/v1/events?after=0", headers=api.headers()) as stream:
        [(last_id, _)] = events(stream.iter_lines(), 1)
    api.turn("g-1", "I want to cancel", key=api.other_key)  # another tenant's, in between
    api.turn("c-2", "I want to cancel as well")
    api.turn("c-3", "cancel it all")
    headers = {**api.headers(), "Last-Event-ID": last_id}
    with second.stream("GET", "/v1/events", headers=headers) as stream:
        resumed = events(stream.iter_lines(), 3)
    # the first stream's delivery note for c-1, then c-2 and c-3: nothing lost, none again
    assert [kind for _, kind in resumed] == ["handoff.delivered", "handoff.created",
                                             "handoff.created"]
    assert last_id not in [token for token, _ in resumed]
    with second.stream("GET", f"/v1/events?after={resumed[1][0]}",
                       headers=api.headers()) as stream:
        assert events(stream.iter_lines(), 1) == [resumed[2]]


def test_an_api_key_holds_at_most_n_streams_and_gets_429_past_them(api: Api) -> None:
    api.client.app.state.stream_slots = StreamSlots(2)  # type: ignore[attr-defined]
    with api.client.stream("GET", "/v1/events", headers=api.headers()) as one, \
            api.client.stream("GET", "/v1/events", headers=api.headers()) as two:
        assert (one.status_code, two.status_code) == (200, 200)
        refused = api.get("/v1/events")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "2 open event streams" in refused.json()["error"]["message"]
        spaced = api.client.get("/v1/events", headers={"Authorization": f"Bearer   {api.key}"})
        assert spaced.status_code == 429  # the key as authenticated, not as written
        with api.client.stream("GET", "/v1/events", headers=api.headers(api.other_key)) as theirs:
            assert theirs.status_code == 200  # per key
    with api.client.stream("GET", "/v1/events", headers=api.headers()) as again:
        assert again.status_code == 200  # closed streams gave their slots back


def _desk_session(api: Api) -> TestClient:
    api.services.tenants.add_user("acme", "ann", "correct-horse-9", Role.REP, rep_id="rep-1")
    client = TestClient(api.client.app)
    form = client.get("/desk/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post("/desk/login", follow_redirects=False, data={
        "tenant": "acme", "username": "ann", "password": "correct-horse-9", "csrf": token[1]})
    assert answer.status_code == 303, answer.text
    return client


def test_a_desk_user_holds_at_most_n_streams(api: Api) -> None:
    api.client.app.state.stream_slots = StreamSlots(1)  # type: ignore[attr-defined]
    desk = _desk_session(api)
    with desk.stream("GET", "/v1/events") as one:
        assert one.status_code == 200
        refused = desk.get("/v1/events")
        assert refused.status_code == 429
        assert "this desk user" in refused.json()["error"]["message"]
        with api.client.stream("GET", "/v1/events", headers=api.headers()) as keyed:
            assert keyed.status_code == 200  # the tenant's API key counts apart

"""Every endpoint called with another tenant's key and our ids: 404 or an empty answer,
never our data, and nothing of ours changes."""

from __future__ import annotations

import json

import pytest

from .conftest import Api

ENDPOINTS = [
    ("GET", "/v1/handoffs/{handoff}", None),
    ("POST", "/v1/handoffs/{handoff}/accept", {"rep_id": "ann"}),
    ("POST", "/v1/handoffs/{handoff}/decline", {"rep_id": "ann"}),
    ("POST", "/v1/handoffs/{handoff}/complete", {"rep_id": "ann", "csat": 1}),
    ("POST", "/v1/handoffs/{handoff}/hand-back", {"rep_id": "ann", "note": "x"}),
    ("GET", "/v1/reps/ann", None),
    ("POST", "/v1/outcomes", {"handoff_id": "{handoff}", "csat": 1}),
]


@pytest.fixture
def ours(api: Api) -> str:
    api.put("/v1/reps/ann", {"skills": ["retention"], "status": "available"})
    handoff_id: str = api.turn("c1", "I want to cancel", turn_id="t1").json()["handoff_id"]
    return handoff_id


def snapshot(api: Api, handoff_id: str) -> str:
    handoff = api.get(f"/v1/handoffs/{handoff_id}").json()
    rep = api.get("/v1/reps/ann").json()
    return json.dumps([handoff, rep], sort_keys=True)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS,
                         ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_another_tenants_key_gets_404_and_changes_nothing(api: Api, ours: str, method: str,
                                                          path: str, body: object) -> None:
    before = snapshot(api, ours)
    url = path.format(handoff=ours)
    payload = json.loads(json.dumps(body).replace("{handoff}", ours)) if body else None
    response = api.client.request(method, url, json=payload, headers=api.headers(api.other_key))
    assert response.status_code == 404, response.text
    assert ours not in response.text or "no handoff" in response.text
    assert snapshot(api, ours) == before


def test_lists_and_streams_of_another_tenant_are_empty(api: Api, ours: str) -> None:
    assert api.get("/v1/handoffs", key=api.other_key).json() == {"handoffs": []}
    queues = api.get("/v1/queues", key=api.other_key).json()["queues"]
    assert all(q["waiting"] == 0 for q in queues)
    with api.client.stream("GET", "/v1/events?after=0",
                           headers=api.headers(api.other_key)) as stream:
        first = next(stream.iter_lines())
    assert first == "retry: 1000"
    assert ours not in first


def test_the_same_conversation_id_in_two_tenants_is_two_conversations(api: Api, ours: str
                                                                      ) -> None:
    theirs = api.turn("c1", "hello there", turn_id="t1", key=api.other_key).json()
    assert theirs["action"] == "continue"
    mine = api.turn("c1", "I want to cancel", turn_id="t1").json()
    assert mine["handoff_id"] == ours

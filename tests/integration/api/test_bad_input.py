"""Bad input over HTTP, on every store: a clear, located 4xx (never a 500 or a 502) and
nothing stored; replayed requests change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from warmline.service.ports import Store

from .conftest import Api

TURNS = "/v1/conversations/{conv}/turns"
JSON = {"content-type": "application/json"}


def _raw(api: Api, method: str, path: str, body: bytes) -> Any:
    return api.client.request(method, path, content=body, headers={**api.headers(), **JSON})


def _stored(api: Api, conv: str) -> Any:
    store: Store = api.services.store
    tenant = api.services.tenants.authenticate(api.key)
    with store.read() as tx:
        return tx.get_conversation(tenant.id, conv)


def _turn_body(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"turns": [{"speaker": "customer", "text": text, "at": "2026-11-24T17:58:05+00:00",
                       **extra}]}


def _nested(depth: int) -> bytes:
    return b'{"turns": ' + b"[" * depth + b"]" * depth + b"}"


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def test_a_body_over_the_limit_is_413_and_stores_nothing(api: Api) -> None:
    limit = api.services.settings.max_body_bytes
    body = json.dumps(_turn_body("x" * (limit + 10))).encode()
    error = _error(_raw(api, "POST", TURNS.format(conv="big"), body), 413)
    assert error["type"] == "payload_too_large"
    assert str(limit) in error["message"]
    assert _stored(api, "big") is None


def test_too_many_turns_and_too_long_a_turn_are_413(api: Api) -> None:
    many = {"turns": [{"speaker": "customer", "text": "hi"}] * 101}
    assert api.post(TURNS.format(conv="many"), many).status_code == 413
    long_text = _turn_body("y" * 20_001)
    assert "turns[0].text" in _error(api.post(TURNS.format(conv="long"), long_text),
                                     413)["message"]
    assert _stored(api, "many") is None
    assert _stored(api, "long") is None


@pytest.mark.parametrize("path", [TURNS.format(conv="deep"), "/v1/decide"])
def test_10000_levels_of_json_are_422_not_a_recursion_error(api: Api, path: str) -> None:
    error = _error(_raw(api, "POST", path, _nested(10_000)), 422)
    assert error["problems"] == [{"path": "$", "message": "JSON nests too deeply"}]
    assert _stored(api, "deep") is None


@pytest.mark.parametrize(("method", "path"), [("PUT", "/v1/reps/ann"),
                                              ("POST", "/v1/handoffs/h-1/accept"),
                                              ("POST", "/v1/outcomes")])
def test_deep_or_non_utf8_json_on_model_bodies_is_400_in_our_shape(api: Api, method: str,
                                                                   path: str) -> None:
    for body in (b"[" * 10_000 + b"]" * 10_000, b'{"name": "\xc3\x28"}'):
        error = _error(_raw(api, method, path, body), 400)
        assert error["type"] == "bad_request"
    assert api.get("/v1/reps/ann").status_code == 404


def test_invalid_utf8_is_422_located_and_stores_nothing(api: Api) -> None:
    body = b'{"turns": [{"speaker": "customer", "text": "caf\xe9"}]}'
    error = _error(_raw(api, "POST", TURNS.format(conv="latin1"), body), 422)
    assert error["problems"][0]["path"] == "$"
    assert "utf-8" in error["problems"][0]["message"]
    assert _stored(api, "latin1") is None


def test_nul_characters_are_422_with_every_path(api: Api) -> None:
    body = _turn_body("a\u0000b", intent="x\u0000")
    body["customer"] = {"id": "cust\u00001"}
    error = _error(api.post(TURNS.format(conv="nul"), body), 422)
    assert {p["path"] for p in error["problems"]} == {
        "$.turns[0].text", "$.turns[0].intent", "$.customer.id"}
    assert _stored(api, "nul") is None


def test_an_escaped_backslash_before_u0000_is_plain_text(api: Api) -> None:
    response = api.post(TURNS.format(conv="slash"), _turn_body("a\\u0000 is not a NUL"))
    assert response.status_code == 200, response.text
    assert _stored(api, "slash").data["turns"][0]["text"] == "a\\u0000 is not a NUL"


@pytest.mark.parametrize(("path", "where"), [
    ("/v1/conversations/c%00/turns", "$.conversation_id"),
    ("/v1/conversations/" + "c" * 201 + "/turns", "$.conversation_id"),
], ids=["nul", "too-long"])
def test_bad_conversation_ids_are_422(api: Api, path: str, where: str) -> None:
    error = _error(api.post(path, _turn_body()), 422)
    assert error["problems"][0]["path"] == where


def test_ids_longer_than_their_columns_are_422_on_every_store(api: Api) -> None:
    long_turn = _turn_body(id="t" * 201)
    assert _error(api.post(TURNS.format(conv="ids"), long_turn),
                  422)["problems"][0]["path"] == "$.turns[0].id"
    long_customer = {**_turn_body(), "customer": {"email": "e" * 300 + "@example.com"}}
    assert _error(api.post(TURNS.format(conv="ids"), long_customer),
                  422)["problems"][0]["path"] == "$.customer.email"
    assert _error(api.put("/v1/reps/" + "r" * 65, {"name": "Ann"}),
                  422)["problems"][0]["path"] == "$.rep_id"
    assert _stored(api, "ids") is None


def test_a_rep_with_an_unknown_time_zone_is_422_and_not_saved(api: Api) -> None:
    error = _error(api.put("/v1/reps/ann", {"timezone": "Mars/Olympus"}), 422)
    assert error["problems"][0]["path"] == "$.timezone"
    assert "Mars/Olympus" in error["problems"][0]["message"]
    assert api.get("/v1/reps/ann").status_code == 404


def test_a_replayed_turn_returns_the_same_decision_and_stores_it_once(api: Api) -> None:
    body = _turn_body("I want to cancel my plan", id="t-1")
    first = api.post(TURNS.format(conv="replay"), body)
    again = api.post(TURNS.format(conv="replay"), body)
    assert first.status_code == again.status_code == 200
    assert again.json()["handoff_id"] == first.json()["handoff_id"]
    assert len(_stored(api, "replay").data["turns"]) == 1
    handoffs = api.get("/v1/handoffs").json()["handoffs"]
    assert [h["conversation_id"] for h in handoffs] == ["replay"]


def test_a_replayed_accept_is_409_and_changes_nothing(api: Api) -> None:
    api.put("/v1/reps/ann", {"skills": ["retention"], "status": "available", "capacity": 2})
    handoff = api.turn("c-acc", "I want to cancel", turn_id="t-1").json()["handoff_id"]
    assert api.post(f"/v1/handoffs/{handoff}/accept", {"rep_id": "ann"}).status_code == 200
    before = api.get(f"/v1/handoffs/{handoff}").json()
    rep_before = api.get("/v1/reps/ann").json()
    assert _error(api.post(f"/v1/handoffs/{handoff}/accept", {"rep_id": "ann"}),
                  409)["type"] == "conflict"
    assert api.get(f"/v1/handoffs/{handoff}").json() == before
    assert api.get("/v1/reps/ann").json() == rep_before


def test_another_tenants_turns_never_join_our_conversation(api: Api) -> None:
    ours = api.turn("shared-id", "I want to cancel", turn_id="t-1").json()["handoff_id"]
    theirs = api.turn("shared-id", "hello", turn_id="t-1", key=api.other_key)
    assert theirs.status_code == 200
    assert "handoff_id" not in theirs.json()
    assert [t["text"] for t in _stored(api, "shared-id").data["turns"]] == ["I want to cancel"]
    assert _error(api.get(f"/v1/handoffs/{ours}", key=api.other_key), 404)["type"] == \
        "not_found"


def test_unknown_routes_answer_in_the_error_shape(api: Api) -> None:
    assert _error(api.get("/v1/nothing-here"), 404)["type"] == "not_found"

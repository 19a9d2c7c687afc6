"""Required conversation fields over HTTP: a turn without `text` or `speaker`, or a
conversation without `turns`, is a located 422 on the hot path and on `/v1/decide` (it used to
be decided as `continue`), and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api

AT = "2026-11-24T17:58:05+00:00"


def _problems(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    problems: list[dict[str, Any]] = response.json()["error"]["problems"]
    return problems


@pytest.mark.parametrize(("turn", "path"), [
    ({"speaker": "customer", "message": "get me a human", "at": AT}, "$.turns[0].text"),
    ({"text": "get me a human", "at": AT}, "$.turns[0].speaker"),
], ids=["no-text", "no-speaker"])
def test_a_turn_missing_a_required_field_is_422_on_both_routes(api: Api, turn: dict[str, Any],
                                                               path: str) -> None:
    for response in (api.post("/v1/conversations/c-1/turns", {"turns": [turn]}),
                     api.post("/v1/decide", {"id": "c-2", "turns": [turn]})):
        (problem,) = _problems(response)
        assert problem["path"] == path
        assert problem["message"].startswith("is required")
    assert api.get("/v1/handoffs").json()["handoffs"] == []


def test_a_whole_conversation_without_turns_is_422(api: Api) -> None:
    (problem,) = _problems(api.post("/v1/decide", {"id": "c-3"}))
    assert problem["path"] == "$.turns"


def test_an_ai_turn_with_empty_text_is_decided(api: Api) -> None:
    body = {"turns": [{"speaker": "ai", "text": "", "at": AT,
                       "actions": [{"name": "lookup_order", "status": "ok"}]}]}
    response = api.post("/v1/conversations/c-4/turns", body)
    assert response.status_code == 200, response.text
    assert response.json()["action"] == "continue"


def test_a_conversation_stored_with_a_turn_without_text_still_takes_turns(api: Api) -> None:
    """Before `text` was required, a turn without it was stored as posted; after the upgrade
    the conversation must still take turns (a turn without text said nothing)."""
    from warmline.service.ports import StoredConversation

    tenant = api.services.tenants.authenticate(api.key)
    legacy = {"id": "c-old", "turns": [{"id": "t1", "speaker": "ai", "at": AT}]}
    with api.services.store.transaction() as tx:
        tx.save_conversation(StoredConversation(tenant.id, "c-old", legacy, None))
    response = api.turn("c-old", "I want to cancel", turn_id="t2")
    assert response.status_code == 200, response.text
    assert [r.get("rule") for r in response.json()["reasons"]] == ["cancellation"]
    with api.services.store.read() as tx:
        stored = tx.get_conversation(tenant.id, "c-old")
    assert stored is not None
    assert [t.get("text") for t in stored.data["turns"]] == ["", "I want to cancel"]

"""The hot path and rep actions through the ASGI app, as an integration would call them."""

from __future__ import annotations

import pytest

from .conftest import Api


def rep(api: Api, rep_id: str, skills: list[str], key: str | None = None) -> None:
    response = api.put(f"/v1/reps/{rep_id}", {"skills": skills, "status": "available"}, key=key)
    assert response.status_code == 200, response.text


def test_every_endpoint_needs_an_api_key(api: Api) -> None:
    assert api.client.post("/v1/conversations/c1/turns", json={"turns": []}).status_code == 401
    assert api.client.get("/v1/handoffs").status_code == 401
    bad = api.client.get("/v1/handoffs", headers={"Authorization": "Bearer wl_nope"})
    assert bad.status_code == 401
    assert api.client.get("/healthz").status_code == 200


def test_a_calm_turn_continues_and_stores_nothing_to_route(api: Api) -> None:
    response = api.turn("c1", "What are your opening hours?")
    assert response.status_code == 200
    assert response.json()["action"] == "continue"
    assert api.get("/v1/handoffs").json() == {"handoffs": []}


def test_escalation_creates_one_handoff_offered_to_a_skilled_rep(api: Api) -> None:
    rep(api, "ann", ["general"])
    rep(api, "ret", ["retention"])
    decision = api.turn("c1", "I want to cancel my plan", turn_id="t1").json()
    assert decision["action"] == "escalate"
    assert decision["destination"]["queue"] == "retention"
    handoff = api.get(f"/v1/handoffs/{decision['handoff_id']}").json()
    assert handoff["status"] == "offered"
    assert handoff["rep_id"] == "ret"
    assert handoff["brief"]["summary"]
    assert handoff["transcript"][0]["text"] == "I want to cancel my plan"


def test_a_retried_post_returns_the_same_decision_and_creates_nothing_twice(api: Api) -> None:
    first = api.turn("c1", "cancel my account", turn_id="t1").json()
    again = api.turn("c1", "cancel my account", turn_id="t1").json()
    assert again == first
    assert len(api.get("/v1/handoffs").json()["handoffs"]) == 1
    handoff = api.get(f"/v1/handoffs/{first['handoff_id']}").json()
    assert len(handoff["transcript"]) == 1


def test_an_escalated_conversation_does_not_escalate_again_and_turns_join_it(api: Api) -> None:
    first = api.turn("c1", "cancel my account", turn_id="t1").json()
    later = api.turn("c1", "hello? also I really want to cancel", turn_id="t2").json()
    assert later["handoff_id"] == first["handoff_id"]
    assert len(api.get("/v1/handoffs").json()["handoffs"]) == 1
    transcript = api.get(f"/v1/handoffs/{first['handoff_id']}").json()["transcript"]
    assert [t["text"] for t in transcript][-1] == "hello? also I really want to cancel"


def test_validation_errors_are_422_with_the_field_path(api: Api) -> None:
    response = api.post("/v1/conversations/c1/turns", {"turns": [
        {"speaker": "bot", "text": "hi", "at": "2026-11-24T10:00:00"}]})
    assert response.status_code == 422
    paths = {p["path"] for p in response.json()["error"]["problems"]}
    assert paths == {"$.turns[0].speaker", "$.turns[0].at"}
    broken = api.client.post("/v1/conversations/c1/turns", content=b'{"turns": [',
                             headers={**api.headers(), "Content-Type": "application/json"})
    assert broken.status_code == 422


def test_sizes_are_limited_with_a_clear_413(api: Api) -> None:
    many = {"turns": [{"speaker": "customer", "text": "x"}] * 101}
    assert api.post("/v1/conversations/c1/turns", many).status_code == 413
    long = {"turns": [{"speaker": "customer", "text": "x" * 20_001}]}
    response = api.post("/v1/conversations/c1/turns", long)
    assert response.status_code == 413
    assert "turns[0].text" in response.json()["error"]["message"]
    huge = api.client.post("/v1/conversations/c1/turns", content=b"{" + b" " * 1_000_001 + b"}",
                           headers={**api.headers(), "Content-Type": "application/json"})
    assert huge.status_code == 413
    assert api.get("/v1/handoffs").json() == {"handoffs": []}


def test_another_tenant_never_sees_or_touches_our_handoffs(api: Api) -> None:
    rep(api, "ret", ["retention"])
    handoff_id = api.turn("c1", "cancel my account").json()["handoff_id"]
    assert api.get(f"/v1/handoffs/{handoff_id}", key=api.other_key).status_code == 404
    assert api.get("/v1/handoffs", key=api.other_key).json() == {"handoffs": []}
    rep(api, "ret", ["retention"], key=api.other_key)
    taken = api.post(f"/v1/handoffs/{handoff_id}/accept", {"rep_id": "ret"}, key=api.other_key)
    assert taken.status_code == 404
    assert api.get("/v1/reps/ret", key=api.other_key).json()["active"] == 0
    # the other tenant's conversation with the same id is a different conversation
    assert api.turn("c1", "hello", key=api.other_key).json()["action"] == "continue"


def test_two_reps_accepting_at_once_exactly_one_wins(api: Api) -> None:
    handoff_id = api.turn("c1", "cancel my account").json()["handoff_id"]  # no rep: queued
    rep(api, "a", ["retention"])
    rep(api, "b", ["retention"])
    handoff = api.get(f"/v1/handoffs/{handoff_id}").json()
    offered_to = handoff["rep_id"]
    other = "b" if offered_to == "a" else "a"
    assert api.post(f"/v1/handoffs/{handoff_id}/accept", {"rep_id": offered_to}).status_code == 200
    late = api.post(f"/v1/handoffs/{handoff_id}/accept", {"rep_id": other})
    assert late.status_code == 409
    assert api.get(f"/v1/reps/{other}").json()["active"] == 0


def test_decline_offers_the_next_rep_and_complete_stores_outcome(api: Api) -> None:
    rep(api, "a", ["retention"])
    handoff_id = api.turn("c1", "cancel my account").json()["handoff_id"]
    rep(api, "b", ["retention"])
    first = api.get(f"/v1/handoffs/{handoff_id}").json()["rep_id"]
    declined = api.post(f"/v1/handoffs/{handoff_id}/decline", {"rep_id": first}).json()
    assert declined["status"] == "offered"
    assert declined["rep_id"] != first
    second = declined["rep_id"]
    api.clock.advance(4)
    assert api.post(f"/v1/handoffs/{handoff_id}/accept", {"rep_id": second}).status_code == 200
    api.clock.advance(60)
    done = api.post(f"/v1/handoffs/{handoff_id}/complete",
                    {"rep_id": second, "csat": 5, "outcome": "retained", "ai_was_wrong": False})
    assert done.status_code == 200
    body = done.json()
    assert (body["status"], body["csat"], body["outcome"]) == ("completed", 5, "retained")
    assert body["timings"]["handoff_seconds"] == 4.0
    assert api.get(f"/v1/reps/{second}").json()["active"] == 0


@pytest.mark.parametrize("csat", [0, 6, "5", True], ids=["zero", "six", "string", "bool"])
def test_complete_rejects_bad_csat(api: Api, csat: object) -> None:
    rep(api, "a", ["retention"])
    handoff_id = api.turn("c1", "cancel my account").json()["handoff_id"]
    api.post(f"/v1/handoffs/{handoff_id}/accept", {"rep_id": "a"})
    response = api.post(f"/v1/handoffs/{handoff_id}/complete", {"rep_id": "a", "csat": csat})
    assert response.status_code == 422


def test_hand_back_returns_the_conversation_to_the_ai(api: Api) -> None:
    rep(api, "a", ["retention"])
    first = api.turn("c1", "cancel my account", turn_id="t1").json()
    api.post(f"/v1/handoffs/{first['handoff_id']}/accept", {"rep_id": "a"})
    back = api.post(f"/v1/handoffs/{first['handoff_id']}/hand-back",
                    {"rep_id": "a", "note": "Kept the plan with a discount; AI can close."})
    assert back.json()["status"] == "handed_back"
    after = api.turn("c1", "great, thanks", turn_id="t2").json()
    assert after["action"] == "continue"
    assert after.get("handoff_id") is None


def test_overflow_moves_an_unaccepted_handoff_to_its_overflow_queue(api: Api) -> None:
    handoff_id = api.turn("c1", "cancel my account").json()["handoff_id"]
    rep(api, "gen", ["general"])
    api.clock.advance(59)
    api.services.handoffs.sweep()
    assert api.get(f"/v1/handoffs/{handoff_id}").json()["queue"] == "retention"
    api.clock.advance(2)
    api.services.handoffs.sweep()
    moved = api.get(f"/v1/handoffs/{handoff_id}").json()
    assert (moved["queue"], moved["overflowed_from"]) == ("desk", "retention")
    assert (moved["status"], moved["rep_id"]) == ("offered", "gen")


def test_openapi_is_served_and_lists_the_spec_endpoints(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in ("/v1/conversations/{conversation_id}/turns", "/v1/decide", "/v1/handoffs",
                 "/v1/handoffs/{handoff_id}/accept", "/v1/handoffs/{handoff_id}/hand-back",
                 "/v1/reps/{rep_id}", "/v1/queues", "/v1/outcomes", "/v1/events"):
        assert path in paths, path


def test_stateless_decide_and_queues(api: Api) -> None:
    decision = api.post("/v1/decide", {"id": "x", "turns": [
        {"speaker": "customer", "text": "please cancel", "at": "2026-11-24T10:00:00Z"}]}).json()
    assert decision["action"] == "escalate"
    assert "handoff_id" not in decision
    queues = {q["name"]: q for q in api.get("/v1/queues").json()["queues"]}
    assert set(queues) == {"desk", "retention"}


def test_outcomes_reported_later_update_csat(api: Api) -> None:
    handoff_id = api.turn("c1", "cancel my account").json()["handoff_id"]
    response = api.post("/v1/outcomes", {"handoff_id": handoff_id, "csat": 4})
    assert response.json()["csat"] == 4
    assert api.post("/v1/outcomes", {"handoff_id": "h-nope", "csat": 4}).status_code == 404


def test_hold_when_the_queue_is_open_but_nobody_is_free(api: Api) -> None:
    rep(api, "a", ["retention"])  # capacity 1: the first handoff fills it
    first = api.turn("c1", "cancel my account").json()
    assert first["action"] == "escalate"
    second = api.turn("c2", "cancel my account too").json()
    third = api.turn("c3", "please cancel everything").json()
    assert (second["action"], third["action"]) == ("hold", "hold")
    assert second["hold"]["position"] == 1
    assert third["hold"]["position"] == 2
    assert third["hold"]["estimated_wait_seconds"] > second["hold"]["estimated_wait_seconds"]


def test_a_queue_nobody_staffs_holds_without_an_invented_wait_or_busy_reps(api: Api) -> None:
    decision = api.turn("c1", "cancel my account").json()  # no rep exists at all
    assert decision["action"] == "hold"
    assert decision["hold"] == {"position": 1, "estimated_wait_seconds": None}
    assert decision["unstaffed"] == {"queue": "retention", "then": "hold"}
    assert "with another customer" not in decision["say_to_customer"]


def test_each_api_key_is_rate_limited_with_429_and_retry_after(api: Api) -> None:
    from warmline.web.ratelimit import RateLimiter

    api.client.app.state.rate_limiter = RateLimiter(rate=1.0, burst=3)  # type: ignore[attr-defined]
    codes = [api.get("/v1/handoffs").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    limited = api.get("/v1/handoffs")
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert api.get("/v1/handoffs", key=api.other_key).status_code == 200  # per key


def test_a_bad_last_event_id_starts_the_stream_from_now(api: Api) -> None:
    headers = {**api.headers(), "Last-Event-ID": "abc"}
    with api.client.stream("GET", "/v1/events", headers=headers) as stream:
        assert stream.status_code == 200
        assert next(stream.iter_lines()) == "retry: 1000"


def test_two_editors_of_one_rep_the_later_stale_write_is_refused(api: Api) -> None:
    rep(api, "ann", ["general"])
    first = api.get("/v1/reps/ann")
    second = api.get("/v1/reps/ann")
    tag = first.headers["etag"]
    assert tag == second.headers["etag"]
    saved = api.client.put("/v1/reps/ann", json={"skills": ["general", "billing"]},
                           headers={**api.headers(), "If-Match": tag})
    assert saved.status_code == 200, saved.text
    assert saved.headers["etag"] != tag
    stale = api.client.put("/v1/reps/ann", json={"capacity": 3},
                           headers={**api.headers(), "If-Match": tag})
    assert stale.status_code == 412
    assert "changed since it was read" in stale.json()["error"]["message"]
    kept = api.get("/v1/reps/ann").json()
    assert (kept["skills"], kept["capacity"]) == (["general", "billing"], 1)  # nothing lost
    api.put("/v1/reps/ann", {"status": "away"})  # the rep's own status: no supervisor edit
    fresh = api.client.put("/v1/reps/ann", json={"capacity": 3},
                           headers={**api.headers(), "If-Match": saved.headers["etag"]})
    assert fresh.status_code == 200
    assert fresh.json()["capacity"] == 3

"""Who may do what on the JSON API: every `/v1` route and `/metrics`, for an API key and for
rep, supervisor and admin desk sessions. A rep acts on handoffs as itself and changes only
its own status; the rest needs a supervisor, an admin or a key; keys and users need an
admin."""

from __future__ import annotations

from typing import Any

import pytest

from warmline.core.handoff import RepStatus

from .conftest import Site

CALLERS = ("key", "admin", "supervisor", "rep")
USERS = {"admin": "ada", "supervisor": "sam", "rep": "alice"}
OK, NO = "ok", 403
ALL = dict.fromkeys(CALLERS, OK)
NOT_REP = {**ALL, "rep": NO}
ADMIN_ONLY = {"key": NO, "admin": OK, "supervisor": NO, "rep": NO}

TURN = {"turns": [{"speaker": "customer", "text": "hello"}]}
#: (method, route as documented, path sent, JSON body, expected per caller). `{hid}` is
#: a live handoff; `/v1/events` gets a bad `after` so an allowed call ends at once (422)
#: instead of streaming.
TABLE: list[tuple[str, str, str, Any, dict[str, Any]]] = [
    ("POST", "/v1/conversations/{conversation_id}/turns", "/v1/conversations/c-9/turns", TURN,
     NOT_REP),
    ("POST", "/v1/decide", "/v1/decide", {"id": "c-8", **TURN}, NOT_REP),
    ("GET", "/v1/handoffs", "/v1/handoffs", None, ALL),
    ("GET", "/v1/handoffs/{handoff_id}", "/v1/handoffs/{hid}", None, ALL),
    ("POST", "/v1/handoffs/{handoff_id}/accept", "/v1/handoffs/{hid}/accept",
     {"rep_id": "bob"}, ALL),
    ("POST", "/v1/handoffs/{handoff_id}/decline", "/v1/handoffs/{hid}/decline",
     {"rep_id": "bob"}, ALL),
    ("POST", "/v1/handoffs/{handoff_id}/complete", "/v1/handoffs/{hid}/complete",
     {"rep_id": "bob"}, ALL),
    ("POST", "/v1/handoffs/{handoff_id}/hand-back", "/v1/handoffs/{hid}/hand-back",
     {"rep_id": "bob", "note": "back to you"}, ALL),
    ("POST", "/v1/handoffs/{handoff_id}/callback-result", "/v1/handoffs/{hid}/callback-result",
     {"rep_id": "bob", "result": "done"}, ALL),
    ("GET", "/v1/reps/{rep_id}", "/v1/reps/alice", None, ALL),
    ("GET", "/v1/reps/{rep_id}", "/v1/reps/bob", None, NOT_REP),
    ("PUT", "/v1/reps/{rep_id}", "/v1/reps/alice", {"status": "away"}, ALL),
    ("PUT", "/v1/reps/{rep_id}", "/v1/reps/alice", {"capacity": 50}, NOT_REP),
    ("PUT", "/v1/reps/{rep_id}", "/v1/reps/bob", {"status": "away"}, NOT_REP),
    ("PUT", "/v1/reps/{rep_id}", "/v1/reps/bob",
     {"status": "offline", "skills": ["vip"], "capacity": 50}, NOT_REP),
    ("GET", "/v1/queues", "/v1/queues", None, ALL),
    ("POST", "/v1/outcomes", "/v1/outcomes", {"handoff_id": "h-none", "csat": 5}, NOT_REP),
    ("GET", "/v1/events", "/v1/events?after=x", None, ALL),
    ("GET", "/v1/metrics", "/v1/metrics", None, NOT_REP),
    ("GET", "/metrics", "/metrics", None, NOT_REP),
    ("GET", "/v1/keys", "/v1/keys", None, ADMIN_ONLY),
    ("POST", "/v1/keys", "/v1/keys", None, ADMIN_ONLY),
    ("DELETE", "/v1/keys/{key_id}", "/v1/keys/k-none", None, ADMIN_ONLY),
    ("GET", "/v1/users", "/v1/users", None, ADMIN_ONLY),
    ("POST", "/v1/users", "/v1/users",
     {"username": "newbie", "password": "long-enough-1", "role": "rep"}, ADMIN_ONLY),
    ("PATCH", "/v1/users/{username}", "/v1/users/nobody", {"role": "rep"}, ADMIN_ONLY),
    ("DELETE", "/v1/users/{username}", "/v1/users/nobody", None, ADMIN_ONLY),
    ("GET", "/v1/policy", "/v1/policy", None, NOT_REP),
    ("GET", "/v1/policy/draft", "/v1/policy/draft", None, NOT_REP),
    ("PUT", "/v1/policy/draft", "/v1/policy/draft", {"yaml": "version: 1\n"}, NOT_REP),
    ("POST", "/v1/policy/check", "/v1/policy/check", {"yaml": "version: 1\n"}, NOT_REP),
    ("POST", "/v1/policy/publish", "/v1/policy/publish", {}, NOT_REP),
    ("POST", "/v1/policy/what-if", "/v1/policy/what-if", {"last": 5, "yaml": "version: 1\n"},
     NOT_REP),
    ("GET", "/v1/policy/versions", "/v1/policy/versions", None, NOT_REP),
    ("GET", "/v1/policy/versions/{number}", "/v1/policy/versions/1?diff=1", None, NOT_REP),
    ("POST", "/v1/policy/rollback/{number}", "/v1/policy/rollback/99", None, NOT_REP),
]


def call(site: Site, caller: str, method: str, path: str, body: Any) -> Any:
    if caller == "key":
        client, headers = site.client(), site.bearer()
    else:
        client, headers = site.logged_in(USERS[caller])
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("row", TABLE, ids=[f"{m} {p}" for m, _, p, _, _ in TABLE])
def test_route_by_role(site: Site, caller: str,
                       row: tuple[str, str, str, Any, dict[str, Any]]) -> None:
    method, _, path, body, expected = row
    response = call(site, caller, method, path.format(hid=site.escalate()), body)
    if expected[caller] == OK:
        assert response.status_code not in (401, 403), response.text
    else:
        assert response.status_code == expected[caller], response.text
        assert response.json()["error"]["type"] == "forbidden"


def test_the_table_covers_every_v1_route_and_metrics(site: Site) -> None:
    documented = {(method.upper(), path) for path, ops in site.app.openapi()["paths"].items()
                  for method in ops if path.startswith("/v1/") or path == "/metrics"}
    assert documented == {(m, route) for m, route, _, _, _ in TABLE}


def test_a_policy_change_names_the_desk_user_who_made_it(site: Site) -> None:
    client, csrf = site.logged_in("sam")
    published = client.get("/v1/policy").json()
    saved = client.put("/v1/policy/draft", json={"yaml": published["yaml"], "note": "same"},
                       headers=csrf)
    assert saved.status_code == 200, saved.text
    assert saved.json()["author"] == "user sam"
    done = client.post("/v1/policy/publish", json={"note": "ok"}, headers=csrf)
    assert done.json()["published_by"] == "user sam"
    rep, rep_csrf = site.logged_in("alice")
    assert rep.post("/v1/policy/rollback/1", headers=rep_csrf).status_code == 403


def test_a_rep_cannot_change_another_rep(site: Site) -> None:
    client, csrf = site.logged_in("alice")
    refused = client.put("/v1/reps/bob", json={"status": "offline", "skills": ["vip"],
                                               "capacity": 50}, headers=csrf)
    assert refused.status_code == 403
    assert "only its own rep" in refused.json()["error"]["message"]
    bob = site.services.reps.get(site.acme, "bob")
    assert (bob.status.value, bob.capacity, bob.skills) == ("available", 3, ("general",))
    own = client.put("/v1/reps/alice", json={"status": "away"}, headers=csrf)
    assert own.status_code == 200
    assert own.json()["status"] == "away"


def test_a_rep_accepts_as_itself_whatever_rep_id_it_sends(site: Site) -> None:
    site.services.reps.put(site.acme, "bob", status=RepStatus.OFFLINE)
    handoff_id = site.escalate()
    client, csrf = site.logged_in("alice")
    accepted = client.post(f"/v1/handoffs/{handoff_id}/accept", json={"rep_id": "bob"},
                           headers=csrf)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["rep_id"] == "alice"

"""Admins manage desk logins over the API: add, list, change (ending sessions), remove."""

from __future__ import annotations

from .conftest import Site


def test_an_admin_adds_lists_changes_and_removes_a_user(site: Site) -> None:
    admin, csrf = site.logged_in("ada")
    added = admin.post("/v1/users", json={"username": "rita", "password": "long-enough-1",
                                          "role": "rep"}, headers=csrf)
    assert added.status_code == 201, added.text
    assert added.json() == {"username": "rita", "role": "rep", "rep_id": "rita"}
    assert site.services.reps.get(site.acme, "rita").name == "rita"
    listed = admin.get("/v1/users").json()["users"]
    assert [u["username"] for u in listed] == ["ada", "alice", "rita", "sam"]
    assert "password" not in str(listed)
    assert "scrypt" not in str(listed)

    rita, _ = site.logged_in("rita", "long-enough-1")
    assert rita.get("/v1/metrics").status_code == 403
    promoted = admin.patch("/v1/users/rita", json={"role": "supervisor"}, headers=csrf)
    assert promoted.json()["role"] == "supervisor"
    assert rita.get("/v1/handoffs").status_code == 401  # the role change ended the session
    rita, _ = site.logged_in("rita", "long-enough-1")
    assert rita.get("/v1/metrics").status_code == 200

    removed = admin.delete("/v1/users/rita", headers=csrf)
    assert removed.json()["removed"] is True
    assert rita.get("/v1/handoffs").status_code == 401
    assert site.log_in(site.client(), "rita", "long-enough-1").status_code == 401
    assert admin.delete("/v1/users/rita", headers=csrf).status_code == 404


def test_bad_user_bodies_are_located_422s(site: Site) -> None:
    admin, csrf = site.logged_in("ada")
    short = admin.post("/v1/users", json={"username": "x", "password": "short"},
                       headers=csrf)
    assert short.status_code == 422
    boss = admin.post("/v1/users", json={"username": "x", "password": "long-enough-1",
                                         "role": "boss"}, headers=csrf)
    assert boss.status_code == 422
    assert boss.json()["error"]["problems"] == [
        {"path": "$.role", "message": "Input should be 'rep', 'supervisor' or 'admin'"}]
    taken = admin.post("/v1/users", json={"username": "alice", "password": "long-enough-1"},
                       headers=csrf)
    assert taken.status_code == 409


def test_writes_without_the_sessions_csrf_token_are_refused(site: Site) -> None:
    admin, _ = site.logged_in("ada")
    assert admin.post("/v1/keys").status_code == 403
    assert admin.delete("/v1/users/alice").status_code == 403
    assert site.services.tenants.list_users(site.acme)[1].username == "alice"

"""Desk sessions end on the server: logout, a password or role change and removal end every
session of the user at once, a copied cookie included."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import anyio
import pytest

from warmline.core.handoff import Role

from .conftest import PASSWORD, Site


def copy_of(client: Any, site: Site) -> Any:
    """Another browser holding a copy of `client`'s session cookie."""
    thief = site.client()
    thief.cookies.set("warmline_session", client.cookies["warmline_session"])
    return thief


def test_a_cookie_copied_before_logout_is_dead_after_it(site: Site) -> None:
    client, csrf = site.logged_in("sam")
    thief = copy_of(client, site)
    assert thief.get("/v1/handoffs").status_code == 200
    assert thief.get("/desk", follow_redirects=False).status_code == 200
    logout = client.post("/desk/logout", headers=csrf, follow_redirects=False)
    assert logout.status_code == 303
    assert thief.get("/v1/handoffs").status_code == 401
    assert thief.get("/desk", follow_redirects=False).headers["location"] == "/desk/login"
    assert thief.get("/dashboard", follow_redirects=False).status_code == 303


def test_logout_ends_the_users_other_sessions_too(site: Site) -> None:
    laptop, csrf = site.logged_in("alice")
    phone, _ = site.logged_in("alice")
    laptop.post("/desk/logout", headers=csrf)
    assert phone.get("/v1/handoffs").status_code == 401
    again, _ = site.logged_in("alice")  # and a new login works
    assert again.get("/v1/handoffs").status_code == 200


@pytest.mark.parametrize("change", ["password", "role", "remove"])
def test_a_password_role_change_or_removal_ends_the_users_sessions(site: Site,
                                                                   change: str) -> None:
    client, _ = site.logged_in("sam")
    thief = copy_of(client, site)
    tenants = site.services.tenants
    if change == "password":
        tenants.change_user(site.acme, "sam", password="another-horse-1")
    elif change == "role":
        tenants.change_user(site.acme, "sam", role=Role.REP)
    else:
        tenants.remove_user(site.acme, "sam")
    for browser in (client, thief):
        assert browser.get("/v1/handoffs").status_code == 401
        assert browser.get("/desk", follow_redirects=False).status_code == 303
    if change == "password":
        assert site.log_in(site.client(), "sam").status_code == 401
        assert site.log_in(site.client(), "sam", "another-horse-1").status_code == 303


def test_the_role_is_read_from_the_database_not_the_cookie(site: Site) -> None:
    client, _ = site.logged_in("sam")
    assert client.get("/v1/metrics").status_code == 200
    with site.services.store.transaction() as tx:  # as if another process changed it
        user = tx.find_user(site.acme.id, "sam")
        assert user is not None
        tx.update_user(replace(user, role=Role.REP))
    assert client.get("/v1/metrics").status_code == 403


# --- login: throttled, bounded, a new form token per attempt -------------------------------


def test_fifty_wrong_passwords_meet_a_growing_back_off(site: Site) -> None:
    now = [1000.0]
    site.app.state.login_throttle.clock = lambda: now[0]
    client = site.client()
    statuses = [site.log_in(client, "alice", "wrong-password").status_code for _ in range(50)]
    assert statuses[:5] == [401] * 5
    assert set(statuses[5:]) == {429}  # refused without checking the password
    refused = site.log_in(client, "alice", PASSWORD)  # even the right one, for now
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert "Too many failed logins" in refused.text
    now[0] += 1.5
    assert site.log_in(client, "alice", "wrong-password").status_code == 401
    waits = []
    for _ in range(4):  # each failure doubles the wait
        wait = int(site.log_in(client, "alice", "wrong-password").headers["retry-after"])
        waits.append(wait)
        now[0] += wait + 0.5
        assert site.log_in(client, "alice", "wrong-password").status_code == 401
    assert waits == [2, 4, 8, 16]
    now[0] += 40
    assert site.log_in(client, "alice", PASSWORD).status_code == 303
    other = site.client()
    assert site.log_in(other, "alice", "wrong-password").status_code == 401  # count reset


def test_one_address_guessing_many_accounts_is_throttled_too(site: Site) -> None:
    site.app.state.login_throttle.clock = lambda: 5000.0
    client = site.client()
    statuses = [site.log_in(client, f"user{i}", "wrong-password").status_code
                for i in range(25)]
    assert statuses[:20] == [401] * 20
    assert set(statuses[20:]) == {429}


def test_each_login_attempt_gets_a_new_form_token(site: Site) -> None:
    client = site.client()
    first = client.get("/desk/login").text
    failed = site.log_in(client, "alice", "wrong-password")
    assert failed.status_code == 401
    def token(page: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        assert found is not None
        return found[1]

    assert token(failed.text) != token(first)
    replay = client.post("/desk/login", data={"tenant": "acme", "username": "alice",
                                              "password": PASSWORD, "csrf": token(first)},
                         follow_redirects=False)
    assert replay.status_code == 403  # the old token is spent


def test_a_huge_login_form_is_refused_before_it_is_read(site: Site) -> None:
    client = site.client()
    big = client.post("/desk/login", content=b"password=" + b"x" * 200_000,
                      headers={"content-type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    assert "The login form is larger than 16 KB" in big.text
    assert streamed_login(site.app, chunks=10_000, size=10_000) < 10


def streamed_login(app: Any, *, chunks: int, size: int) -> int:
    """POST a chunked login body of `chunks` × `size` bytes straight to the ASGI app (the
    test client would buffer it first); returns how many chunks the app asked for."""
    asked = [0]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        asked[0] += 1
        return {"type": "http.request", "body": b"x" * size, "more_body": asked[0] < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/desk/login", "raw_path": b"",
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
             "server": ("test", 80),
             "headers": [(b"content-type", b"application/x-www-form-urlencoded"),
                         (b"transfer-encoding", b"chunked")]}
    anyio.run(app, scope, receive, send)
    assert sent[0]["status"] == 413
    return asked[0]

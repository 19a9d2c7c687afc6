"""The rep desk over HTTP (no browser): login, sessions, CSRF, tenant isolation, roles,
escaping and redaction, through the real ASGI app on an in-memory store."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.core.handoff import RepStatus, Role, Tenant
from warmline.web.app import create_app
from warmline.web.desk import FAILED_LOGIN, install_desk

POLICY = """\
version: 1
name: desk-test
timezone: UTC
defaults: {queue: support, threshold: 0.5}
triggers:
  - name: help
    when: text.lowerAscii().contains("help")
    priority: 80
    tags: [needs-human]
queues:
  support: {skills: [general], overflow: {after_seconds: 300, to: backup}}
  backup: {skills: [general]}
redact: [card_number]
"""
PASSWORD = "correct-horse-9"
HTMX = {"HX-Request": "true"}


@dataclass
class Desk:
    services: Services
    acme: Tenant
    other: Tenant
    client: Any
    """A `TestClient` with the app running."""

    def escalate(self, tenant: Tenant, conversation: str, text: str) -> str:
        decision = self.services.turns.post_turns(
            tenant, conversation, {"turns": [{"speaker": "customer", "text": text}]})
        handoff_id: str = decision["handoff_id"]
        return handoff_id

    def status(self, tenant: Tenant, handoff_id: str) -> str:
        handoff, _ = self.services.handoffs.get(tenant, handoff_id)
        return handoff.status.value


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with warnings.catch_warnings():
        # Starlette 1.x warns once, at import, that its test client prefers httpx2 to httpx.
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    policy = tmp_path / "desk-test.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=InMemoryStore())
    acme, other = (services.tenants.ensure_tenant(name) for name in ("acme", "other"))
    services.tenants.add_user("acme", "alice", PASSWORD, Role.REP, rep_id="rep-1")
    services.tenants.add_user("acme", "bob", PASSWORD, Role.SUPERVISOR)
    services.tenants.add_user("other", "olga", PASSWORD, Role.REP, rep_id="rep-1")
    for tenant in (acme, other):
        services.reps.put(tenant, "rep-1", skills=("general",), capacity=3,
                          status=RepStatus.AVAILABLE)
    app = create_app(services, sweep=False)
    install_desk(app)
    with TestClient(app) as client:
        yield Desk(services, acme, other, client)


def log_in(client: Any, username: str, *, tenant: str = "acme",
           password: str = PASSWORD) -> Any:
    form = client.get("/desk/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    return client.post("/desk/login", data={"tenant": tenant, "username": username,
                                            "password": password, "csrf": token[1]},
                       follow_redirects=False)


def desk_token(client: Any) -> str:
    page = client.get("/desk")
    assert page.status_code == 200, page.text
    token = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert token is not None
    return token[1]


def test_login_with_the_right_password_opens_the_desk(desk: Desk) -> None:
    response = log_in(desk.client, "alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/desk"
    page = desk.client.get("/desk")
    assert page.status_code == 200
    assert "alice · acme · rep" in page.text
    assert 'sse-connect="/v1/events"' in page.text


@pytest.mark.parametrize(("tenant", "username", "password"), [
    ("acme", "alice", "wrong-password"), ("acme", "nobody", PASSWORD),
    ("no-such-tenant", "alice", PASSWORD), ("other", "alice", PASSWORD), ("", "", "")],
    ids=["wrong-password", "unknown-user", "unknown-tenant", "user-of-another-tenant", "empty"])
def test_failed_logins_all_get_the_same_401(desk: Desk, tenant: str, username: str,
                                            password: str) -> None:
    response = log_in(desk.client, username, tenant=tenant, password=password)
    assert response.status_code == 401
    assert FAILED_LOGIN in response.text
    assert desk.client.get("/desk", follow_redirects=False).status_code == 303


def test_login_without_the_form_token_is_refused(desk: Desk) -> None:
    response = desk.client.post("/desk/login", data={
        "tenant": "acme", "username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert desk.client.get("/desk", follow_redirects=False).status_code == 303


def test_pages_and_fragments_need_a_session(desk: Desk) -> None:
    page = desk.client.get("/desk", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/desk/login"
    fragment = desk.client.get("/desk/partials/offers", headers=HTMX)
    assert fragment.status_code == 401
    assert fragment.headers["hx-redirect"] == "/desk/login"
    handoff_id = desk.escalate(desk.acme, "c-1", "help me")
    action = desk.client.post(f"/desk/handoffs/{handoff_id}/accept", headers=HTMX)
    assert action.status_code == 401
    assert desk.status(desk.acme, handoff_id) == "offered"


def test_form_posts_without_the_csrf_token_are_rejected(desk: Desk) -> None:
    log_in(desk.client, "alice")
    handoff_id = desk.escalate(desk.acme, "c-1", "help me")
    for headers in (HTMX, {**HTMX, "X-CSRF-Token": "forged"}):
        response = desk.client.post(f"/desk/handoffs/{handoff_id}/accept", headers=headers)
        assert response.status_code == 403
        assert response.headers["hx-retarget"] == "#notice"
    assert desk.client.post("/desk/status", data={"status": "away"}).status_code == 403
    assert desk.status(desk.acme, handoff_id) == "offered"

    token = desk_token(desk.client)
    accepted = desk.client.post(f"/desk/handoffs/{handoff_id}/accept",
                                headers={**HTMX, "X-CSRF-Token": token})
    assert accepted.status_code == 200
    assert f'id="transcript-{handoff_id}"' in accepted.text
    assert 'hx-swap-oob="innerHTML"' in accepted.text
    assert desk.status(desk.acme, handoff_id) == "accepted"


def test_a_plain_form_post_with_the_token_field_works_without_javascript(desk: Desk) -> None:
    log_in(desk.client, "alice")
    handoff_id = desk.escalate(desk.acme, "c-1", "help me")
    token = desk_token(desk.client)
    response = desk.client.post(f"/desk/handoffs/{handoff_id}/accept",
                                data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert desk.status(desk.acme, handoff_id) == "accepted"


def test_a_rep_never_sees_another_tenants_handoff(desk: Desk) -> None:
    theirs = desk.escalate(desk.other, "c-secret", "help, secret words")
    log_in(desk.client, "alice")
    token = desk_token(desk.client)
    for path in (f"/desk/partials/handoffs/{theirs}",
                 f"/desk/partials/handoffs/{theirs}/transcript"):
        response = desk.client.get(path)
        assert response.status_code == 404
        assert "secret words" not in response.text
    response = desk.client.post(f"/desk/handoffs/{theirs}/accept",
                                headers={**HTMX, "X-CSRF-Token": token})
    assert response.status_code == 404
    assert theirs not in desk.client.get("/desk/partials/offers").text
    assert desk.status(desk.other, theirs) == "offered"  # offered to *their* rep-1


def test_the_supervisor_view_is_forbidden_to_reps(desk: Desk) -> None:
    log_in(desk.client, "alice")
    assert desk.client.get("/desk/supervisor").status_code == 403
    assert desk.client.get("/desk/partials/supervisor").status_code == 403
    assert 'href="/desk/supervisor"' not in desk.client.get("/desk").text


def test_the_supervisor_view_lists_queues_waiting_handoffs_and_reps(desk: Desk) -> None:
    desk.services.reps.put(desk.acme, "rep-1", status=RepStatus.AWAY)
    waiting = desk.escalate(desk.acme, "c-1", "help me")
    log_in(desk.client, "bob")
    page = desk.client.get("/desk/supervisor")
    assert page.status_code == 200
    assert 'data-queue="support"' in page.text
    assert f'data-handoff="{waiting}"' in page.text
    assert 'data-rep="rep-1"' in page.text
    assert "away" in page.text


def test_the_supervisor_view_shows_a_rep_set_away_for_missed_offers(desk: Desk) -> None:
    from dataclasses import replace

    with desk.services.store.transaction() as tx:  # as the ring-no-answer sweep leaves it
        rep = tx.get_rep(desk.acme.id, "rep-1")
        assert rep is not None
        tx.save_rep(replace(rep, status=RepStatus.AWAY, missed_offers=3))
    log_in(desk.client, "bob")
    page = desk.client.get("/desk/partials/supervisor").text
    row = page[page.index('data-rep="rep-1"'):]
    assert "missed 3 offers in a row" in row[:row.index("</tr>")]


def test_logout_clears_the_session(desk: Desk) -> None:
    log_in(desk.client, "alice")
    token = desk_token(desk.client)
    response = desk.client.post("/desk/logout", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/login"
    assert desk.client.get("/desk", follow_redirects=False).status_code == 303
    assert desk.client.get("/v1/handoffs").status_code == 401


def test_customer_text_is_escaped_and_redacted(desk: Desk) -> None:
    handoff_id = desk.escalate(
        desk.acme, "c-1", 'help <script>alert("pwned")</script> card 4111 1111 1111 1111')
    log_in(desk.client, "alice")
    for path in ("/desk", f"/desk/partials/handoffs/{handoff_id}",
                 f"/desk/partials/handoffs/{handoff_id}/transcript"):
        text = desk.client.get(path).text
        assert "<script>alert" not in text
        assert "4111 1111 1111 1111" not in text
    transcript = desk.client.get(f"/desk/partials/handoffs/{handoff_id}/transcript").text
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in transcript


def test_complete_and_hand_back_record_the_reps_answers(desk: Desk) -> None:
    first = desk.escalate(desk.acme, "c-1", "help me")
    second = desk.escalate(desk.acme, "c-2", "help me too")
    log_in(desk.client, "alice")
    headers = {**HTMX, "X-CSRF-Token": desk_token(desk.client)}
    for handoff_id in (first, second):
        desk.client.post(f"/desk/handoffs/{handoff_id}/accept", headers=headers)

    bad = desk.client.post(f"/desk/handoffs/{first}/complete", headers=headers,
                           data={"csat": "9"})
    assert bad.status_code == 422
    done = desk.client.post(f"/desk/handoffs/{first}/complete", headers=headers,
                            data={"csat": "5", "outcome": "resolved", "ai_was_wrong": "true"})
    assert done.status_code == 200
    handoff, _ = desk.services.handoffs.get(desk.acme, first)
    assert (handoff.status.value, handoff.csat, handoff.outcome, handoff.ai_was_wrong) == (
        "completed", 5, "resolved", True)
    assert None not in (handoff.offered_at, handoff.accepted_at, handoff.completed_at)

    assert desk.client.post(f"/desk/handoffs/{second}/hand-back", headers=headers,
                            data={"note": " "}).status_code == 422
    back = desk.client.post(f"/desk/handoffs/{second}/hand-back", headers=headers,
                            data={"note": "Refund issued; confirm the email."})
    assert back.status_code == 200
    assert desk.status(desk.acme, second) == "handed_back"
    again = desk.client.post(f"/desk/handoffs/{second}/hand-back", headers=headers,
                             data={"note": "twice"})
    assert again.status_code == 409


def test_a_rep_sets_their_own_status(desk: Desk) -> None:
    log_in(desk.client, "alice")
    headers = {**HTMX, "X-CSRF-Token": desk_token(desk.client)}
    response = desk.client.post("/desk/status", headers=headers, data={"status": "away"})
    assert response.status_code == 200
    assert '<option value="away" selected>' in response.text
    assert desk.services.reps.get(desk.acme, "rep-1").status is RepStatus.AWAY
    assert desk.client.post("/desk/status", headers=headers,
                            data={"status": "busy"}).status_code == 422


def test_a_login_without_a_rep_profile_cannot_take_handoffs(desk: Desk) -> None:
    handoff_id = desk.escalate(desk.acme, "c-1", "help me")
    desk.services.handoffs.decline(desk.acme, handoff_id, "rep-1")
    log_in(desk.client, "bob")
    headers = {**HTMX, "X-CSRF-Token": desk_token(desk.client)}
    response = desk.client.post(f"/desk/handoffs/{handoff_id}/accept", headers=headers)
    assert response.status_code == 403
    assert "no rep profile" in response.text


def test_api_writes_on_a_desk_session_need_the_csrf_header(desk: Desk) -> None:
    log_in(desk.client, "alice")
    token = desk_token(desk.client)
    handoff_id = desk.escalate(desk.acme, "c-csrf", "I need help with my bill")
    url = f"/v1/handoffs/{handoff_id}/accept"
    refused = desk.client.post(url, json={})
    assert refused.status_code == 403
    assert desk.status(desk.acme, handoff_id) != "accepted"
    accepted = desk.client.post(url, json={}, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 200, accepted.text
    assert desk.status(desk.acme, handoff_id) == "accepted"
    assert desk.client.get(f"/v1/handoffs/{handoff_id}").status_code == 200  # reads need none

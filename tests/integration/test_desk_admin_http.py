"""`/desk/admin` over HTTP (no browser): supervisors edit reps, admins also manage logins and
API keys; CSRF on every form, roles enforced, and a stale rep edit refused with nothing lost."""

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
from warmline.core.errors import AuthError
from warmline.core.handoff import RepStatus, Role, Tenant
from warmline.web.app import create_app
from warmline.web.desk import install_desk

POLICY = """\
version: 1
name: admin-test
timezone: UTC
defaults: {queue: support}
queues:
  support: {skills: [general]}
  billing: {skills: [billing]}
"""
PASSWORD = "correct-horse-9"


@dataclass
class Console:
    services: Services
    acme: Tenant
    client: Any

    def log_in(self, username: str) -> str:
        """Log in and return the session's CSRF token."""
        form = self.client.get("/desk/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        self.client.post("/desk/login", data={"tenant": "acme", "username": username,
                                              "password": PASSWORD, "csrf": token[1]})
        page = self.client.get("/desk")
        found = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
        assert found is not None, page.text
        return found[1]

    def post(self, path: str, csrf: str, **fields: str) -> Any:
        return self.client.post(path, data={"csrf": csrf, **fields}, follow_redirects=False)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    policy = tmp_path / "admin-test.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=InMemoryStore())
    acme = services.tenants.ensure_tenant("acme")
    services.tenants.add_user("acme", "alice", PASSWORD, Role.REP, rep_id="alice")
    services.tenants.add_user("acme", "sue", PASSWORD, Role.SUPERVISOR)
    services.tenants.add_user("acme", "ada", PASSWORD, Role.ADMIN)
    services.reps.put(acme, "alice", skills=("general",), status=RepStatus.AVAILABLE)
    app = create_app(services, sweep=False)
    install_desk(app)
    with TestClient(app) as client:
        yield Console(services, acme, client)


def rep_row(page: str, rep_id: str) -> str:
    start = page.index(f'data-rep="{rep_id}"')
    return page[start:page.index("</tr>", start)]


def test_a_supervisor_sets_skills_and_the_queue_shows_who_can_take_it(console: Console
                                                                      ) -> None:
    csrf = console.log_in("sue")
    page = console.client.get("/desk/admin").text
    assert "Logins" not in page  # admins only
    assert "API keys" not in page
    etag = re.search(r'name="etag" value="([^"]+)"', rep_row(page, "alice"))
    assert etag is not None
    saved = console.post("/desk/admin/reps/alice", csrf, etag=etag[1].replace("&#34;", '"'),
                         name="Alice Ng", skills="general, billing", capacity="2")
    assert saved.status_code == 303, saved.text
    rep = console.services.reps.get(console.acme, "alice")
    assert (rep.name, rep.skills, rep.capacity) == ("Alice Ng", ("general", "billing"), 2)
    page = console.client.get("/desk/admin").text
    billing = page[page.index('data-queue="billing"'):]
    row = billing[:billing.index("</tr>")]
    assert "alice" in row
    assert "open" in row  # the test policy has no hours: always open


def test_the_later_of_two_stale_rep_edits_is_refused_and_nothing_is_lost(console: Console
                                                                        ) -> None:
    csrf = console.log_in("sue")
    page = console.client.get("/desk/admin").text
    found = re.search(r'name="etag" value="([^"]+)"', rep_row(page, "alice"))
    assert found is not None
    etag = found[1].replace("&#34;", '"')
    first = console.post("/desk/admin/reps/alice", csrf, etag=etag, skills="general,billing",
                         capacity="1")
    assert first.status_code == 303
    second = console.post("/desk/admin/reps/alice", csrf, etag=etag, skills="general",
                          capacity="3")
    assert second.status_code == 409
    assert "changed since it was read" in second.text
    rep = console.services.reps.get(console.acme, "alice")
    assert (rep.skills, rep.capacity) == (("general", "billing"), 1)


@pytest.mark.parametrize(("fields", "needle"), [
    ({"skills": "general,,billing", "capacity": "1"}, "Skill 2 of"),
    ({"skills": "general", "capacity": "many"}, "Capacity must be a whole number"),
    ({"skills": "general", "capacity": "0"}, "capacity must be 1 to 50"),
])
def test_bad_rep_edits_are_refused_with_the_reason(console: Console, fields: dict[str, str],
                                                   needle: str) -> None:
    csrf = console.log_in("sue")
    response = console.post("/desk/admin/reps/alice", csrf, **fields)
    assert response.status_code == 422
    assert needle in response.text


def test_reps_may_not_administer_and_forms_need_the_csrf_token(console: Console) -> None:
    csrf = console.log_in("alice")
    assert console.client.get("/desk/admin").status_code == 403
    assert console.post("/desk/admin/reps/alice", csrf, skills="x",
                        capacity="1").status_code == 403
    console.client.post("/desk/logout", data={"csrf": csrf})
    console.log_in("sue")
    assert console.post("/desk/admin/reps/alice", "wrong", skills="x",
                        capacity="1").status_code == 403
    assert console.post("/desk/admin/keys", "wrong").status_code == 403


def test_a_supervisor_cannot_manage_logins_or_keys(console: Console) -> None:
    csrf = console.log_in("sue")
    assert console.post("/desk/admin/keys", csrf).status_code == 403
    assert console.post("/desk/admin/users/alice/remove", csrf).status_code == 403


def test_an_admin_adds_a_rep_login_with_skills_then_changes_resets_and_removes_it(
        console: Console) -> None:
    csrf = console.log_in("ada")
    added = console.post("/desk/admin/users", csrf, username="dana", password=PASSWORD,
                         role="rep", skills="billing")
    assert added.status_code == 303, added.text
    assert console.services.reps.get(console.acme, "dana").skills == ("billing",)
    assert 'data-user="dana"' in console.client.get("/desk/admin").text
    assert console.post("/desk/admin/users/dana/role", csrf,
                        role="supervisor").status_code == 303
    users = {u.username: u for u in console.services.tenants.list_users(console.acme)}
    assert users["dana"].role is Role.SUPERVISOR
    assert console.post("/desk/admin/users/dana/password", csrf,
                        password="short").status_code == 422
    assert console.post("/desk/admin/users/dana/password", csrf,
                        password="another-horse-7").status_code == 303
    assert console.post("/desk/admin/users/dana/remove", csrf).status_code == 303
    assert "dana" not in {u.username for u in console.services.tenants.list_users(console.acme)}
    assert console.post("/desk/admin/users/ada/remove", csrf).status_code == 409


def test_an_api_key_is_shown_once_then_listed_by_prefix_and_revoked(console: Console) -> None:
    csrf = console.log_in("ada")
    page = console.post("/desk/admin/keys", csrf)
    assert page.status_code == 200
    found = re.search(r'data-testid="new-key-value">(wl_[^<]+)<', page.text)
    assert found is not None
    key = found[1]
    assert console.services.tenants.authenticate(key).name == "acme"
    listing = console.client.get("/desk/admin").text
    assert key not in listing
    assert key[:10] in listing
    (record,) = console.services.tenants.list_keys(console.acme)
    assert console.post(f"/desk/admin/keys/{record.id}/revoke", csrf).status_code == 303
    with pytest.raises(AuthError, match="revoked"):
        console.services.tenants.authenticate(key)

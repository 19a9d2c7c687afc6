"""A running app with one tenant's logins of every role and an API key, for the access
tests (sessions, roles, keys)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.core.handoff import RepStatus, Role, Tenant
from warmline.web.app import create_app

PASSWORD = "correct-horse-9"


@dataclass
class Site:
    services: Services
    acme: Tenant
    key: str
    app: Any

    def client(self) -> Any:
        """A new browser: its own cookie jar, on the same running app."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from fastapi.testclient import TestClient
        return TestClient(self.app)

    def log_in(self, client: Any, username: str, password: str = PASSWORD,
               tenant: str = "acme") -> Any:
        form = client.get("/desk/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None, form.text
        return client.post("/desk/login", data={"tenant": tenant, "username": username,
                                                "password": password, "csrf": token[1]},
                           follow_redirects=False)

    def csrf_of(self, client: Any) -> str:
        page = client.get("/desk")
        assert page.status_code == 200, page.text
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
        assert token is not None
        return token[1]

    def logged_in(self, username: str, password: str = PASSWORD
                  ) -> tuple[Any, dict[str, str]]:
        """A new browser logged in as `username`, and the headers its JSON writes need."""
        client = self.client()
        assert self.log_in(client, username, password).status_code == 303
        return client, {"X-CSRF-Token": self.csrf_of(client)}

    def bearer(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    def escalate(self, conversation: str = "c-1") -> str:
        decision = self.services.turns.post_turns(
            self.acme, conversation, {"turns": [{"speaker": "customer",
                                                 "text": "get me a human now"}]})
        handoff_id: str = decision["handoff_id"]
        return handoff_id


@pytest.fixture
def site() -> Iterator[Site]:
    services = build_services(Settings(db="memory:"), store=InMemoryStore())
    acme = services.tenants.ensure_tenant("acme")
    services.tenants.add_user("acme", "alice", PASSWORD, Role.REP, rep_id="alice")
    services.tenants.add_user("acme", "sam", PASSWORD, Role.SUPERVISOR)
    services.tenants.add_user("acme", "ada", PASSWORD, Role.ADMIN)
    for rep in ("alice", "bob"):
        services.reps.put(acme, rep, skills=("general",), capacity=3,
                          status=RepStatus.AVAILABLE)
    key = services.tenants.create_key("acme")
    app = create_app(services, sweep=False)
    yield Site(services, acme, key, app)
    services.close()

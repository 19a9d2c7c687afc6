"""Callback cards on the desk over HTTP: the customer's name and number on every card, warm
or cold; one card per customer and queue with the count; the rep's result settles them."""

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
from warmline.web.desk import install_desk

POLICY = """\
version: 1
name: callbacks
timezone: UTC
defaults: {queue: support, mode: cold}
triggers:
  - {name: cancellation, when: 'text.contains("cancel")', queue: retention}
queues:
  support: {skills: [general]}
  retention: {skills: [retention], unstaffed: callback}
"""
PASSWORD = "correct-horse-9"
HTMX = {"HX-Request": "true"}


@dataclass
class Desk:
    services: Services
    acme: Tenant
    client: Any

    def callback(self, conversation: str, customer: dict[str, Any]) -> str:
        decision = self.services.turns.post_turns(self.acme, conversation, {
            "turns": [{"speaker": "customer", "text": "I want to cancel"}],
            "customer": customer})
        assert decision["action"] == "callback", decision
        handoff_id: str = decision["handoff_id"]
        return handoff_id


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    policy = tmp_path / "callbacks.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=InMemoryStore())
    acme = services.tenants.ensure_tenant("acme")
    services.tenants.add_user("acme", "alice", PASSWORD, Role.REP, rep_id="alice")
    # away: retention is unstaffed, so its handoffs become callbacks alice can return
    services.reps.put(acme, "alice", skills=("general", "retention"), status=RepStatus.AWAY)
    app = create_app(services, sweep=False)
    install_desk(app)
    with TestClient(app) as client:
        form = client.get("/desk/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert token is not None
        client.post("/desk/login", data={"tenant": "acme", "username": "alice",
                                         "password": PASSWORD, "csrf": token[1]})
        yield Desk(services, acme, client)


def csrf(desk: Desk) -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', desk.client.get("/desk").text)
    assert found is not None
    return found[1]


def test_cold_callbacks_show_the_callers_number_once_per_customer_with_the_count(desk: Desk
                                                                                ) -> None:
    caller = {"phone": "+15125550143"}  # a platform's caller id, no name, a cold transfer
    desk.callback("c1", caller)
    latest = desk.callback("c2", caller)
    desk.callback("c3", {"id": "cust-9", "name": "Lee Park", "phone": "+15125550100"})
    page = desk.client.get("/desk/partials/offers", headers=HTMX).text
    cards = re.findall(r'data-handoff="(h-[^"]+)" data-status="callback"', page)
    assert len(cards) == 2  # one per customer and queue
    assert latest in cards
    contacts = re.findall(r'data-testid="callback-contact">(.*?)</p>', page, re.S)
    assert any("+15125550143" in c and "2 requests" in c for c in contacts), contacts
    assert any("Lee Park" in c and "+15125550100" in c for c in contacts), contacts


def test_marking_a_merged_callback_done_settles_all_of_them(desk: Desk) -> None:
    caller = {"phone": "+15125550143"}
    first = desk.callback("c1", caller)
    latest = desk.callback("c2", caller)
    token = csrf(desk)
    response = desk.client.post(f"/desk/handoffs/{latest}/callback-result",
                                data={"csrf": token, "result": "done"}, headers=HTMX)
    assert response.status_code == 200, response.text
    for handoff_id in (first, latest):
        handoff, _ = desk.services.handoffs.get(desk.acme, handoff_id)
        assert (handoff.status.value, handoff.outcome) == ("completed", "callback_done")
    bad = desk.client.post(f"/desk/handoffs/{latest}/callback-result",
                           data={"csrf": token, "result": "later"}, headers=HTMX)
    assert bad.status_code == 422
    assert "done, no_answer or rescheduled" in bad.text

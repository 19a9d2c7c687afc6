"""`/dashboard` over HTTP (no browser): login and role, the SVG charts and their numbers, the
5-second htmx refresh, filters, and escaping of everything users can write."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import Services, build_services
from warmline.config import Settings
from warmline.core.handoff import HandoffStatus, RepStatus, Role, Tenant
from warmline.testing import FakeClock
from warmline.web.app import create_app
from warmline.web.dashboard import install_metrics

POLICY = """\
version: 1
name: dashboard-test
timezone: UTC
defaults: {queue: support, threshold: 0.5}
triggers:
  - name: '<b>refund</b> & "more"'
    when: text.lowerAscii().contains("refund")
    priority: 80
  - name: help
    when: text.lowerAscii().contains("help")
    queue: billing
    priority: 70
queues:
  support: {skills: [general]}
  billing: {skills: [billing]}
"""
PASSWORD = "correct-horse-9"
HTMX = {"HX-Request": "true"}
EVIL = '<img src=x onerror="alert(1)">'


@dataclass
class Board:
    services: Services
    acme: Tenant
    clock: FakeClock
    client: Any

    def escalate(self, conversation: str, text: str, tenant: Tenant | None = None) -> str:
        decision = self.services.turns.post_turns(
            tenant or self.acme, conversation,
            {"turns": [{"speaker": "customer", "text": text,
                        "at": self.clock.now().isoformat()}]})
        handoff_id: str = decision["handoff_id"]
        return handoff_id


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Board]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Starlette's test client import
        from fastapi.testclient import TestClient
    policy = tmp_path / "dashboard-test.yaml"
    policy.write_text(POLICY)
    clock = FakeClock()
    services = build_services(Settings(db="memory:", policy=str(policy)),
                              store=InMemoryStore(), clock=clock)
    acme = services.tenants.ensure_tenant("acme")
    services.tenants.ensure_tenant("other")
    services.tenants.add_user("acme", "alice", PASSWORD, Role.REP, rep_id="rep-1")
    services.tenants.add_user("acme", "bob", PASSWORD, Role.SUPERVISOR)
    services.tenants.add_user("other", "olga", PASSWORD, Role.ADMIN)
    services.reps.put(acme, "rep-1", skills=("general",), capacity=3,
                      status=RepStatus.AVAILABLE)
    app = create_app(services, sweep=False)
    install_metrics(app)
    with TestClient(app) as client:
        yield Board(services, acme, clock, client)


def log_in(client: Any, username: str, tenant: str = "acme") -> None:
    form = client.get("/desk/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    response = client.post("/desk/login", data={"tenant": tenant, "username": username,
                                                 "password": PASSWORD, "csrf": token[1]},
                           follow_redirects=False)
    assert response.status_code == 303


def test_the_dashboard_needs_a_desk_session(board: Board) -> None:
    page = board.client.get("/dashboard", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/desk/login"
    fragment = board.client.get("/dashboard/charts", headers=HTMX)
    assert fragment.status_code == 401
    assert fragment.headers["hx-redirect"] == "/desk/login"


def test_reps_are_turned_away_and_supervisors_get_a_link(board: Board) -> None:
    log_in(board.client, "alice")
    assert board.client.get("/dashboard").status_code == 403
    assert 'href="/dashboard"' not in board.client.get("/desk").text
    board.client.cookies.clear()
    log_in(board.client, "bob")
    assert 'href="/dashboard"' in board.client.get("/desk").text


def test_an_empty_dashboard_draws_every_chart_with_a_no_data_note(board: Board) -> None:
    log_in(board.client, "bob")
    page = board.client.get("/dashboard")
    assert page.status_code == 200
    charts = ("trend", "escalation", "handoff-time", "csat", "repeat", "queues",
              "queue-times", "triggers")
    for chart in charts:
        assert f'id="chart-{chart}"' in page.text
    assert page.text.count("<svg") == len(charts)
    assert "No data in this window yet." in page.text
    assert 'hx-get="/dashboard/charts"' in page.text
    assert 'hx-trigger="every 5s"' in page.text
    assert "<b>0</b>" in page.text  # no conversations yet


def test_charts_show_the_windows_numbers_and_refresh_live(board: Board) -> None:
    log_in(board.client, "bob")
    first = board.escalate("c-1", "I want a refund")
    board.escalate("c-2", "help with my invoice")  # billing: nobody has the skill
    board.services.turns.post_turns(board.acme, "c-3", {"turns": [
        {"speaker": "customer", "text": "hi", "at": board.clock.now().isoformat()}]})
    board.clock.advance(6)
    board.services.handoffs.accept(board.acme, first, "rep-1")
    board.clock.advance(20)
    board.services.handoffs.complete(board.acme, first, "rep-1", csat=4)
    fragment = board.client.get("/dashboard/charts", headers=HTMX)
    assert fragment.status_code == 200
    html = fragment.text
    assert "<html" not in html  # a fragment, not a page
    assert html.count("<svg") == 8
    assert "67 %" in html  # 2 of 3 conversations escalated
    assert "67 % of 3 conversations" in html  # the trend's last bucket
    assert "p50 6.0 s · p90 6.0 s · n=1" in html  # queue waits of the window
    # cost at the default prices: 26 s live * .07/min + 20 s of rep * .50/min = .197
    assert "<b>0.20</b>" in html
    assert 'class="target"' in html  # the 10 s line on the handoff-time histogram
    assert "10 s target" in html
    assert "6.0 s" in html  # p50 handoff time
    assert "4.00 · n=1" in html  # warm CSAT (no interval from one score)
    assert "1 waiting" in html  # billing's queue
    assert 'aria-label="Waiting now, per queue"' in html


def test_filters_reach_the_charts_and_the_refresh_url(board: Board) -> None:
    log_in(board.client, "bob")
    board.escalate("c-1", "I want a refund")
    board.escalate("c-2", "help with my invoice")
    board.clock.advance(1)
    page = board.client.get("/dashboard", params={"queue": "billing", "mode": "warm"})
    assert page.status_code == 200
    assert 'hx-get="/dashboard/charts?queue=billing&amp;mode=warm"' in page.text
    assert '<option value="billing" selected>' in page.text
    assert "queue: <b>billing</b>" in page.text
    bad = board.client.get("/dashboard", params={"since": "yesterday-ish"})
    assert bad.status_code == 422
    assert "yesterday-ish" in bad.text


def test_user_written_text_is_escaped_in_pages_and_svg(board: Board) -> None:
    log_in(board.client, "bob")
    handoff_id = board.escalate("c-1", "I want a refund")
    with board.services.store.transaction() as tx:
        handoff = tx.get_handoff(board.acme.id, handoff_id)
        assert handoff is not None
        tx.update_handoff(replace(handoff, status=HandoffStatus.FAILED, outcome=EVIL),
                          expect={handoff.status})
    board.clock.advance(1)
    page = board.client.get("/dashboard", params={"rule": EVIL}).text
    assert "<img" not in page
    assert "&lt;img" in page  # the filter is shown, as text
    html = board.client.get("/dashboard/charts").text
    assert "<b>refund</b>" not in html  # the trigger's name, escaped inside the SVG
    assert "&lt;b&gt;refund&lt;/b&gt; &amp; &#34;more&#34;" in html
    assert "<img" not in html
    assert "&lt;img_src=x_onerror=&#34;alert(1)&#34;&gt;" in html  # the failure's type


def test_another_tenants_supervisor_sees_only_their_own(board: Board) -> None:
    board.escalate("c-1", "I want a refund")
    board.clock.advance(1)
    log_in(board.client, "olga", tenant="other")
    html = board.client.get("/dashboard/charts").text
    assert "(other)" in html
    assert "&lt;b&gt;refund" not in html
    assert "No data in this window yet." in html

"""The console's administration page in Debian's chromium: an admin sets two reps' skills in
the browser, a turn is offered to the first, who does not answer, and the offer moves to the
second at the queue's `offer_timeout_seconds` (the server's real sweep, real clock). No
Content-Security-Policy violation on the way."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.core.handoff import RepStatus, Role

from .conftest import Server, serving, watch_csp

POLICY = """\
version: 1
name: admin-browser
timezone: UTC
defaults: {queue: support}
triggers:
  - {name: invoice, when: 'text.lowerAscii().contains("invoice")', queue: billing}
  - {name: cancellation, when: 'text.lowerAscii().contains("cancel")', queue: retention}
queues:
  support: {skills: [general]}
  billing: {skills: [billing], offer_timeout_seconds: 1}
  retention: {skills: [retention], unstaffed: callback}
"""
PASSWORD = "correct-horse-9"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    policy = tmp_path_factory.mktemp("policy") / "admin.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=InMemoryStore())
    key = services.tenants.create_key("acme")
    tenant = services.tenants.ensure_tenant("acme")
    services.tenants.add_user("acme", "ada", PASSWORD, Role.ADMIN)
    services.tenants.add_user("acme", "cal", PASSWORD, Role.REP, rep_id="cal")
    # away: retention is unstaffed, and its handoffs become callbacks cal can return
    services.reps.put(tenant, "cal", skills=("retention",), status=RepStatus.AWAY)
    for rep_id in ("ann", "bob"):  # signed in, but with no skills yet: nothing routes to them
        services.reps.put(tenant, rep_id, status=RepStatus.AVAILABLE)
    with serving(services, key) as live:
        yield live


def open_desk(browser: Any, server: Server, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.csp_violations = watch_csp(opened)
    opened.goto(f"{server.url}/desk/login")
    opened.fill("input[name=tenant]", "acme")
    opened.fill("input[name=username]", username)
    opened.fill("input[name=password]", PASSWORD)
    opened.click("button[type=submit]")
    opened.wait_for_url("**/desk*")
    return opened


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    opened = open_desk(browser, server, "ada")
    yield opened
    opened.context.close()


def wait_for(fetch: Any, want: Any, seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        got = fetch()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def test_admin_sets_skills_then_an_unanswered_offer_moves_to_the_next_rep(
        page: Any, server: Server, api: httpx.Client) -> None:
    page.click("a[href='/desk/admin']")
    page.wait_for_url("**/desk/admin")
    for rep_id in ("ann", "bob"):
        page.fill(f"[data-testid=skills-{rep_id}]", "billing")
        page.click(f"[data-testid=save-{rep_id}]")
        page.wait_for_url("**/desk/admin")
    billing = page.locator("#admin-queues tr[data-queue=billing]").inner_text()
    assert "ann, bob" in billing
    turn = {"speaker": "customer", "text": "A question about my invoice"}
    decision = api.post("/v1/conversations/c-1/turns", json={"turns": [turn]}).json()
    assert decision["action"] == "escalate", decision
    handoff_id = decision["handoff_id"]

    def offered_to() -> tuple[str, str | None]:
        found = api.get(f"/v1/handoffs/{handoff_id}").json()
        return found["status"], found["rep_id"]

    assert offered_to() == ("offered", "ann")  # ties on idle time go by id
    started = time.monotonic()
    assert wait_for(offered_to, ("offered", "bob"), 5.0) == ("offered", "bob")
    assert time.monotonic() - started < 3.0  # 1 s timeout + a 1 s sweep, with room
    assert api.get("/v1/reps/ann").json()["missed_offers"] == 1
    page.click("[data-testid=create-key]")
    key = page.locator("[data-testid=new-key-value]").inner_text()
    assert key.startswith("wl_")
    page.goto(f"{api.base_url}/desk/admin")
    assert key not in page.content()
    assert page.csp_violations == []


def test_a_cold_callback_card_shows_the_callers_number_and_is_marked_done(
        browser: Any, server: Server, api: httpx.Client) -> None:
    page = open_desk(browser, server, "cal")
    try:
        for conversation in ("cb-1", "cb-2"):  # the same caller twice: one card
            body = {"turns": [{"speaker": "customer", "text": "I want to cancel"}],
                    "customer": {"phone": "+15125550143"}}
            decision = api.post(f"/v1/conversations/{conversation}/turns", json=body).json()
            assert decision["action"] == "callback", decision
        contact = page.locator("[data-testid=callback-contact]")
        contact.wait_for(timeout=5000)
        assert contact.count() == 1
        assert "+15125550143" in contact.inner_text()
        assert "2 requests" in contact.inner_text()
        page.click("form.callback-result button[value=done]")
        page.locator("[data-testid=callback-contact]").wait_for(state="detached", timeout=5000)
        assert api.get("/v1/metrics").json()["callbacks"]["done"] == 2
        assert page.csp_violations == []
    finally:
        page.context.close()

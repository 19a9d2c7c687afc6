"""The rep desk in a real browser: Debian's chromium driven by Playwright, against the real app
served by uvicorn. A turn posted over the API must show up on the desk, live, in under a second.

Needs `apt-get install -y chromium` and `pip install playwright` (never `playwright install`:
browsers cannot be downloaded here). Skipped when either is missing, except in CI (CI=true),
where a missing browser is a failure."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
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
name: desk-test
timezone: UTC
defaults: {queue: support, threshold: 0.5}
triggers:
  - name: invoice
    when: text.lowerAscii().contains("invoice")
    queue: billing
    priority: 70
    tags: [billing]
  - name: help
    when: text.lowerAscii().contains("help")
    priority: 80
    tags: [needs-human]
queues:
  support: {skills: [general], overflow: {after_seconds: 300, to: backup}}
  backup: {skills: [general]}
  billing: {skills: [billing]}
redact: [card_number]
"""
PASSWORD = "correct-horse-9"
CARD = "4111 1111 1111 1111"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    policy = tmp_path_factory.mktemp("policy") / "desk-test.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=InMemoryStore())
    key = services.tenants.create_key("acme")
    tenant = services.tenants.ensure_tenant("acme")
    services.tenants.add_user("acme", "alice", PASSWORD, Role.REP, rep_id="rep-1")
    services.tenants.add_user("acme", "bob", PASSWORD, Role.SUPERVISOR)
    services.reps.put(tenant, "rep-1", name="Alice", skills=("general",), capacity=2,
                      status=RepStatus.AVAILABLE)
    with serving(services, key) as live:
        yield live


@pytest.fixture
def pages(browser: Any) -> Iterator[list[Any]]:
    """Pages opened by a test; their browser contexts close (and their event streams with
    them) before the server stops."""
    opened: list[Any] = []
    yield opened
    for page in opened:
        page.context.close()

def log_in(browser: Any, server: Server, username: str, pages: list[Any]) -> Any:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    pages.append(page)
    page.csp_violations = watch_csp(page)
    response = page.goto(f"{server.url}/desk")
    assert page.url.endswith("/desk/login")
    assert "script-src 'self';" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.fill("input[name=tenant]", "acme")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/desk*")
    page.wait_for_selector("#live[data-live=open]", timeout=5000)  # the event stream is up
    return page


def post_turn(api: httpx.Client, conversation: str, text: str, **extra: Any) -> dict[str, Any]:
    response = api.post(f"/v1/conversations/{conversation}/turns",
                        json={"turns": [{"speaker": "customer", "text": text}], **extra})
    assert response.status_code == 200, response.text
    decision: dict[str, Any] = response.json()
    return decision


def test_rep_sees_handoff_live_accepts_and_completes(
        browser: Any, server: Server, api: httpx.Client, pages: list[Any], tmp_path: Path
) -> None:
    page = log_in(browser, server, "alice", pages)
    started = time.perf_counter()
    decision = post_turn(api, "c-browser-1", f"Please help, my card {CARD} was charged twice",
                         customer={"id": "cust-1", "name": "Sarah Okafor"})
    card = f"#offers #card-{decision['handoff_id']}"
    page.wait_for_selector(card, timeout=1000)
    latency = time.perf_counter() - started
    print(f"\nturn posted -> card visible on the desk: {latency * 1000:.0f} ms")
    assert decision["action"] == "escalate"
    assert latency < 1.0
    assert "needs-human" in page.inner_text(card)
    page.screenshot(path=str(tmp_path / "offer.png"), full_page=True)

    page.click(f"{card} button:has-text('Accept')")
    transcript = f"#active #transcript-{decision['handoff_id']}"
    page.wait_for_selector(f"{transcript} >> text=charged twice", timeout=2000)
    assert CARD not in page.content()  # the policy redacts card numbers

    started = time.perf_counter()
    post_turn(api, "c-browser-1", "Are you still there? Order 5521 <b>now</b>")
    page.wait_for_selector(f"{transcript} >> text=Are you still there", timeout=1000)
    print(f"turn posted -> transcript updated: {(time.perf_counter() - started) * 1000:.0f} ms")
    assert "<b>now</b>" in page.inner_text(transcript)  # shown as text, never as markup
    shot = tmp_path / "desk.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")

    page.select_option(f"#card-{decision['handoff_id']} select[name=csat]", "5")
    page.click(f"#card-{decision['handoff_id']} button:has-text('Complete')")
    page.wait_for_selector(f"#active #card-{decision['handoff_id']}", state="detached",
                           timeout=2000)
    stored = api.get(f"/v1/handoffs/{decision['handoff_id']}").json()
    assert stored["status"] == "completed"
    assert stored["csat"] == 5
    assert stored["rep_id"] == "rep-1"
    timings = stored["timings"]
    assert all(timings[name] for name in ("offered_at", "accepted_at", "completed_at"))
    assert timings["offered_at"] <= timings["accepted_at"] <= timings["completed_at"]
    assert page.csp_violations == []


def test_supervisor_sees_waiting_handoffs_and_reps_live(
        browser: Any, server: Server, api: httpx.Client, pages: list[Any], tmp_path: Path
) -> None:
    page = log_in(browser, server, "bob", pages)
    page.goto(f"{server.url}/desk/supervisor")
    page.wait_for_selector("#live[data-live=open]", timeout=5000)
    assert "Alice" in page.inner_text("#reps")

    decision = post_turn(api, "c-browser-2", "Where is my invoice?")  # nobody has `billing`
    row = f"#waiting tr[data-handoff={decision['handoff_id']}]"
    page.wait_for_selector(row, timeout=1000)
    assert page.inner_text("#queues tr[data-queue=billing] .waiting") == "1"
    page.screenshot(path=str(tmp_path / "supervisor.png"), full_page=True)
    assert page.csp_violations == []

"""Every HTML page carries a Content-Security-Policy without inline script, eval or a CDN,
refuses framing, and every answer says `nosniff` and a Referrer-Policy (the browser tests
check that the desk still works under the policy)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.core.handoff import Role
from warmline.web.app import create_app
from warmline.web.security_headers import PAGE_POLICY

POLICY = """\
version: 1
name: headers-test
timezone: UTC
defaults: {queue: support, threshold: 0.5}
triggers:
  - {name: help, when: 'text.lowerAscii().contains("help")', priority: 80}
queues:
  support: {skills: [general]}
"""
PASSWORD = "correct-horse-9"
INLINE = [re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),  # a script without src
          re.compile(r"\son[a-z]+\s*=", re.I),                # onclick=, onload= ...
          re.compile(r"<style|\sstyle\s*=", re.I),             # inline styles
          re.compile(r"\bhx-on|\[JSON\.parse|javascript:", re.I)]  # what htmx would eval


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    policy = tmp_path / "headers-test.yaml"
    policy.write_text(POLICY)
    services = build_services(Settings(db="memory:", policy=str(policy)), store=InMemoryStore())
    acme = services.tenants.ensure_tenant("acme")
    services.tenants.add_user("acme", "bob", PASSWORD, Role.SUPERVISOR, rep_id="rep-1")
    services.reps.put(acme, "rep-1", skills=("general",), capacity=3)
    services.turns.post_turns(acme, "c-1", {"turns": [{"speaker": "customer",
                                                      "text": "help me please"}]})
    with TestClient(create_app(services, sweep=False)) as test_client:
        yield test_client


def _log_in(client: Any) -> None:
    form = client.get("/desk/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post("/desk/login", follow_redirects=False, data={
        "tenant": "acme", "username": "bob", "password": PASSWORD, "csrf": token[1]})
    assert answer.status_code == 303, answer.text


def _directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_every_html_page_has_a_strict_policy_and_no_inline_script(client: Any) -> None:
    pages = {"/desk/login": client.get("/desk/login")}
    _log_in(client)
    for path in ("/desk", "/desk/supervisor", "/dashboard", "/desk/partials/offers",
                 "/desk/partials/active"):
        pages[path] = client.get(path)
    for path, page in pages.items():
        assert page.headers["content-type"].startswith("text/html"), path
        policy = _directives(page.headers["content-security-policy"])
        assert policy["script-src"] == ["'self'"], path
        assert policy["style-src"] == ["'self'"], path
        assert policy["default-src"] == ["'self'"], path
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["object-src"] == ["'none'"], path
        assert page.headers["x-content-type-options"] == "nosniff", path
        assert page.headers["referrer-policy"] == "same-origin", path
        assert page.headers["x-frame-options"] == "DENY", path
        for pattern in INLINE:
            found = pattern.search(page.text)
            assert found is None, f"{path}: {found and found.group(0)!r}"
        assert "http://" not in re.sub(r'xmlns="http://www.w3.org/2000/svg"', "", page.text)
        assert "https://" not in page.text, path  # no CDN


def test_json_answers_say_nosniff_and_the_referrer_policy(client: Any) -> None:
    for answer in (client.get("/healthz"), client.get("/v1/handoffs")):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"


def test_the_api_docs_get_the_pages_strict_policy(client: Any) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == PAGE_POLICY
    for pattern in INLINE:
        found = pattern.search(page.text)
        assert found is None, f"/docs: {found and found.group(0)!r}"
    for src in re.findall(r'<(?:script|link)[^>]*\b(?:src|href)="([^"]+)"', page.text):
        assert src.startswith("/"), src  # this server's own assets only

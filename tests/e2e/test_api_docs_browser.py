"""`/docs` in a real browser with every request off the machine refused: Swagger UI renders
the API's operations from the package's own assets, and none of its requests leaves for
another host. Needs Debian's chromium and Playwright (skipped locally without, a failure in
CI), as the other browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.config import Settings

from .conftest import Server, serving, watch_csp


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    services = build_services(Settings(db="memory:"), store=InMemoryStore())
    with serving(services, services.tenants.create_key("acme")) as live:
        yield live


def test_the_api_reference_renders_offline(browser: Any, server: Server) -> None:
    page = browser.new_context().new_page()
    elsewhere: list[str] = []

    def only_this_server(route: Any) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(server.url).netloc:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    violations = watch_csp(page)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() > 10  # one block per operation
    assert "/v1/conversations/{conversation_id}/turns" in page.inner_text("body")
    assert elsewhere == []
    assert errors == []
    assert violations == []  # the pages' strict Content-Security-Policy holds here too

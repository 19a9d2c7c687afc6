"""`/docs` works offline: the page names no other host, has no inline script, and every asset
it loads is served by the app itself (vendored Swagger UI, with its licence)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from warmline.adapters.storage.memory import InMemoryStore
from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.web.app import create_app


@pytest.fixture
def client() -> Iterator[Any]:
    with warnings.catch_warnings():
        # Starlette 1.x warns once, at import, that its test client prefers httpx2 to httpx.
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi.testclient import TestClient
    services = build_services(Settings(db="memory:"), store=InMemoryStore())
    with TestClient(create_app(services, sweep=False)) as test_client:
        yield test_client


def test_the_api_docs_page_loads_nothing_from_another_host(client: Any) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert not re.search(r"(https?:)?//", page.text), "an absolute URL on /docs"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) == 4  # icon, stylesheet, Swagger UI, its start-up script
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100, asset
    spec = re.search(r'data-openapi-url="([^"]+)"', page.text)
    assert spec is not None
    assert client.get(spec[1]).json()["info"]["title"] == "Warmline"


def test_swagger_ui_ships_with_its_licence(client: Any) -> None:
    licence = client.get("/static/swagger-ui/LICENSE")
    assert licence.status_code == 200
    assert "Apache License" in licence.text

"""Integration bodies are bounded as they arrive, before any signature is checked: a chunked
body far over the limit ends in a 413 after about the limit's worth of bytes (a 300 MB
chunked POST to `/integrations/retell` used to be read whole before its 401)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from warmline.web.app import create_app

from . import harness

RULES = """
queues:
  desk: {skills: [general]}
"""
SETTINGS: harness.Integrations = {
    "vapi": {"hmac_secret": "k" * 20}, "generic": {"secret": "k" * 20},
    "retell": {"api_key": "k" * 20}, "twilio": {"auth_token": "k" * 20}}
ROUTES = ["/integrations/retell", "/integrations/retell/function", "/integrations/vapi",
          "/integrations/generic", "/integrations/generic/transfer",
          "/integrations/twilio/handoff", "/integrations/twilio/status"]
CHUNK = 64 * 1024
HUGE = 300 * 1024 * 1024


@pytest.fixture(params=["memory"])
def served(request: pytest.FixtureRequest) -> Iterator[harness.Served]:
    with harness.serve(request, RULES, {"acme": SETTINGS}) as app:
        yield app


class CountedBody:
    """A chunked request body of `total` bytes, made only as far as the server reads it."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.consumed = 0

    async def receive(self) -> dict[str, Any]:
        if self.consumed >= self.total:
            return {"type": "http.disconnect"}
        self.consumed += CHUNK
        return {"type": "http.request", "body": b" " * CHUNK,
                "more_body": self.consumed < self.total}


def _post(app: Any, path: str, body: CountedBody,
          headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[str, Any]]:
    """POST `body` (chunked: no Content-Length) straight into the ASGI app."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"tenant=acme", "root_path": "", "client": ("127.0.0.1", 1),
             "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked"),
                         *headers]}
    asyncio.run(app(scope, body.receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    raw = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(raw)


@pytest.mark.parametrize("path", ROUTES)
def test_a_huge_chunked_body_is_413_after_reading_about_the_limit(served: harness.Served,
                                                                   path: str) -> None:
    limit = served.services.settings.max_body_bytes
    body = CountedBody(HUGE)
    form = path.startswith("/integrations/twilio")
    kind = b"application/x-www-form-urlencoded" if form else b"application/json"
    status, answer = _post(served.client.app, path, body, [(b"content-type", kind)])
    assert status == 413, answer
    assert str(limit) in answer["error"]["message"]
    assert body.consumed <= limit + CHUNK  # stopped at the limit, not at 300 MB


def test_a_declared_length_over_the_limit_is_refused_before_any_byte(
        served: harness.Served) -> None:
    limit = served.services.settings.max_body_bytes
    body = CountedBody(HUGE)
    status, answer = _post(served.client.app, "/integrations/retell", body,
                           [(b"content-length", str(HUGE).encode())])
    assert status == 413
    assert answer["error"]["message"] == f"the body is {HUGE} bytes; the limit is {limit}"
    assert body.consumed == 0


def test_a_body_within_the_limit_still_reaches_the_signature_check(
        served: harness.Served) -> None:
    """The bound refuses only what is over it: a small unsigned body gets its 401."""
    app = create_app(served.services, sweep=False)
    status, answer = _post(app, "/integrations/retell", CountedBody(CHUNK),
                           [(b"content-type", b"application/json")])
    assert status == 401, answer

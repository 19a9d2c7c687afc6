"""What the browser tests share: a live app on a free loopback port (uvicorn in a thread)
and Debian's Chromium driven by Playwright. Chromium or Playwright missing: skipped locally,
a failure in CI (CI=true)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn

from warmline.bootstrap import Services
from warmline.web.app import create_app

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def require(what: str, found: bool) -> None:
    if found:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing, and CI must run the browser test: "
                    "apt-get install -y chromium && pip install playwright")
    pytest.skip(f"{what} is missing (apt-get install -y chromium; pip install playwright)")


@dataclass
class Server:
    url: str
    key: str
    services: Services


@contextmanager
def serving(services: Services, key: str) -> Iterator[Server]:
    """The whole app (API, events, desk, dashboard) served on 127.0.0.1 until the block ends."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(services), log_level="warning",
                                       timeout_graceful_shutdown=1))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", key, services)
    finally:
        uv.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium")
    require("chromium", chromium is not None)
    require("playwright (the Python package)", importlib.util.find_spec("playwright") is not None)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    """An API client with the key of the module's `server` fixture."""
    with httpx.Client(base_url=server.url, timeout=5,
                      headers={"Authorization": f"Bearer {server.key}"}) as client:
        yield client


def watch_csp(page: Any) -> list[str]:
    """The Content-Security-Policy violations `page` reports from now on (Chromium logs each
    refused script, style, eval or frame to the console)."""
    violations: list[str] = []

    def seen(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", seen)
    return violations

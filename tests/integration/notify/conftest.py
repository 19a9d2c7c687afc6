"""A real webhook receiver on 127.0.0.1 (threaded `http.server`) that can fail, hang, go down
and come back, and that verifies Standard Webhooks signatures with its own implementation and
deduplicates on `webhook-id`, as a careful receiver does."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

SECRET = "whsec_" + base64.b64encode(b"a-32-byte-signing-key-for-tests!").decode()
TOLERANCE_SECONDS = 5 * 60


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks verification, written from the spec independently of Warmline's
    signer: HMAC-SHA256 over "id.timestamp.body" with the base64 key after `whsec_`; any of
    the space-separated `v1,` signatures may match; the timestamp must be recent."""
    msg_id, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        return False
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body,
                                         hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split()
               if s.startswith("v1,")]
    return any(hmac.compare_digest(expected, s) for s in offered)


@dataclass
class Receiver:
    secret: str = SECRET
    status: int = 200
    """What it answers (after `delay` seconds) while up."""
    delay: float = 0.0
    server: ThreadingHTTPServer | None = None
    port: int = 0
    attempts: Counter[str] = field(default_factory=Counter)
    """Every request seen, by webhook-id (or path for unsigned posts)."""
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Bodies acted on once each: the first valid, signed request of each webhook-id that the
    receiver answered 2xx."""
    duplicates: int = 0
    bad_signatures: int = 0
    slack: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            status, delay = self.status, self.delay
        if delay:
            time.sleep(delay)
        with self.lock:
            if path.startswith("/slack"):
                self.attempts[path] += 1
                if 200 <= status < 300:
                    self.slack.append(json.loads(body))
                return status
            msg_id = headers.get("webhook-id", "")
            self.attempts[msg_id] += 1
            if not verify(self.secret, headers, body):
                self.bad_signatures += 1
                return 401
            if 200 <= status < 300:
                if msg_id in self.processed:
                    self.duplicates += 1
                else:
                    self.processed[msg_id] = json.loads(body)
            return status

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status = receiver.handle(self.path, headers, body)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting (its timeout)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: connections are refused until `start` (same port)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    found.start()
    yield found
    found.stop()

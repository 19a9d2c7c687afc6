"""`WebhookNotifier`: outbox messages POSTed as JSON and signed per Standard Webhooks
(https://www.standardwebhooks.com/, spec: github.com/standard-webhooks/standard-webhooks):
`webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 of
HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, the key being the base64 after `whsec_`.
URLs and secrets never appear in errors or logs: a Slack or webhook URL can be a secret."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping

import httpx2 as httpx

from warmline.adapters.outbound import guarded_client
from warmline.adapters.storage.records import dumps
from warmline.core.errors import AdapterError
from warmline.core.policy.model import NotifyTarget
from warmline.service.ports import OutboxMessage

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "Warmline-Webhooks/1 (+https://www.standardwebhooks.com/)"


def signing_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the
    reference libraries). Raises ValueError when it is not base64 or is empty."""
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except binascii.Error as err:
        raise ValueError("the secret is not whsec_ followed by base64") from err
    if not key:
        raise ValueError("the secret is empty")
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def target_url(target: NotifyTarget, kind: str) -> str:
    """The target's URL, or a retryable error saying what to fix (it may be fixed within
    the retry window, so nothing is lost)."""
    url = target.url
    if not url:
        raise AdapterError(f"{kind} target {target.name!r} has no url", retryable=True)
    if "${" in url:
        raise AdapterError(f"{kind} target {target.name!r}: its url names an environment "
                           "variable that is not set", retryable=True)
    if not url.startswith(("https://", "http://")):
        raise AdapterError(f"{kind} target {target.name!r}: its url is not http(s)",
                           retryable=True)
    return url


def post_json(client: httpx.Client, target: NotifyTarget, kind: str, body: bytes, *,
              headers: Mapping[str, str], timeout: float) -> httpx.Response:
    """POST `body`; a network failure or a non-2xx answer is a retryable `AdapterError`
    whose message names the target, never its URL."""
    url = target_url(target, kind)
    try:
        response = client.post(url, content=body, timeout=timeout, headers={
            "content-type": "application/json", "user-agent": USER_AGENT, **headers})
    except httpx.TimeoutException as err:
        raise AdapterError(f"{kind} target {target.name!r} timed out after {timeout:g} s",
                           retryable=True) from err
    except httpx.HTTPError as err:
        detail = str(err).replace(url, "<url>")
        raise AdapterError(f"{kind} target {target.name!r} unreachable: "
                           f"{type(err).__name__}: {detail}", retryable=True) from err
    if not 200 <= response.status_code < 300:
        raise AdapterError(f"{kind} target {target.name!r} answered HTTP "
                           f"{response.status_code}", retryable=True)
    return response


def target_timeout(target: NotifyTarget) -> float:
    value = target.options.get("timeout", DEFAULT_TIMEOUT)
    return float(value) if isinstance(value, int | float) and 0 < value <= 60 else (
        DEFAULT_TIMEOUT)


class WebhookNotifier:
    """Sends `type: webhook` targets their messages. Each attempt is signed afresh (new
    timestamp); the body and `webhook-id` are the same on every attempt."""

    def __init__(self, client: httpx.Client | None = None, *,
                 now: Callable[[], float] = time.time, allow_private: bool = False) -> None:
        self._client = client or guarded_client(allow_private=allow_private)
        self._now = now

    def send(self, target: NotifyTarget, message: OutboxMessage) -> None:
        secret = target.options.get("secret")
        if not isinstance(secret, str) or not secret or "${" in secret:
            raise AdapterError(f"webhook target {target.name!r} has no secret: set `secret: "
                               "whsec_<base64>` (messages are always signed)", retryable=True)
        try:
            key = signing_key(secret)
        except ValueError as err:
            raise AdapterError(f"webhook target {target.name!r}: {err}",
                               retryable=True) from err
        body = dumps(message.payload).encode()
        timestamp = int(self._now())
        post_json(self._client, target, "webhook", body, timeout=target_timeout(target),
                  headers={
                      "webhook-id": message.message_id,
                      "webhook-timestamp": str(timestamp),
                      "webhook-signature": sign(key, message.message_id, timestamp, body)})

    def close(self) -> None:
        self._client.close()


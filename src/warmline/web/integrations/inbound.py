"""What the signed-webhook routes share: the raw body within the size limit (a signature
covers the exact bytes, so it is read before any JSON parsing) and a replay guard that
refuses a signed request already seen.

The guard lives in the app's memory, per worker process, for as long as a signature stays
fresh (`max_age_seconds`): past that the timestamp check refuses the request anyway. With
several workers a replay sent to another worker within that window is not caught; the
handlers are idempotent (turn ids, one handoff per conversation), so it changes nothing."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from fastapi import Request

from warmline.core.errors import SignatureInvalid
from warmline.core.handoff import Tenant
from warmline.web import api
from warmline.web.auth import services

log = logging.getLogger(__name__)

#: Remembered ids per worker; past this the oldest go first (a bound, not an expected load).
MAX_REMEMBERED = 100_000


async def read_body(request: Request) -> bytes:
    """The raw body, or a 413 past `max_body_bytes`."""
    return await api.read_body(request, services(request))


class SeenIds:
    """Ids of verified requests, each kept until it expires."""

    def __init__(self, max_entries: int = MAX_REMEMBERED) -> None:
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def first_time(self, key: str, *, now: float, ttl: float) -> bool:
        """Remember `key` for `ttl` seconds; False when it is already remembered."""
        with self._lock:
            while self._expiry:
                oldest, until = next(iter(self._expiry.items()))
                if until > now and len(self._expiry) < self._max:
                    break
                del self._expiry[oldest]
            known = self._expiry.get(key)
            if known is not None and known > now:
                return False
            self._expiry[key] = now + ttl
            self._expiry.move_to_end(key)
            return True


def seen_ids(request: Request) -> SeenIds:
    state = request.app.state
    found: SeenIds | None = getattr(state, "integration_seen_ids", None)
    if found is None:
        found = state.integration_seen_ids = SeenIds()
    return found


def refuse_replay(request: Request, tenant: Tenant, platform: str, key: str, *,
                  ttl: float) -> None:
    """SignatureInvalid (401) when this signed request was already accepted."""
    now = services(request).clock.now().timestamp()
    if not seen_ids(request).first_time(f"{tenant.id}:{key}", now=now, ttl=ttl):
        log.warning("%s request for tenant %r rejected: replay of an already seen signed "
                    "request", platform, tenant.name)
        raise SignatureInvalid(f"{platform} request not verified")


def not_verified(platform: str, tenant: Tenant, err: Exception) -> SignatureInvalid:
    """The one answer a failed verification gets (tenant names cannot be probed by the
    wording); the reason goes to the log for the operator."""
    log.warning("%s request for tenant %r rejected: %s", platform, tenant.name, err)
    return SignatureInvalid(f"{platform} request not verified")


# --- OpenAPI: what the routes document (they read raw bodies, so FastAPI cannot infer it) --

#: `?tenant=NAME`, for a platform that signs instead of sending a Warmline API key.
TENANT_PARAMETER: dict[str, Any] = {
    "name": "tenant", "in": "query", "required": False, "schema": {"type": "string"},
    "description": "The tenant, when the platform's signature (not an API key) authenticates"}


def json_request(schema: dict[str, Any], *parameters: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a route that reads a JSON body itself."""
    return {"parameters": [TENANT_PARAMETER, *parameters],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


def json_answer(description: str) -> dict[int | str, dict[str, Any]]:
    """`responses` for a route that answers a JSON object (errors come from the router)."""
    return {200: {"description": description, "content": {"application/json": {
        "schema": {"type": "object", "additionalProperties": True}}}}}

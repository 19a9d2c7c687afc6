"""Who is calling: an API key (`Authorization: Bearer <key>`, per tenant) for integrations,
or a desk session (a logged-in rep, supervisor or admin)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services
from warmline.core.errors import AuthError
from warmline.core.handoff import Tenant
from warmline.web.ratelimit import RateLimiter


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


async def api_tenant(request: Request) -> Tenant:
    """The tenant of the bearer API key, or of the desk session."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    svc = services(request)
    if scheme.lower() == "bearer" and key:
        return await key_tenant(key, svc, request.app.state.rate_limiter)
    session = request.scope.get("session") or {}
    if session.get("tenant_id"):
        if request.method not in _SAFE_METHODS:  # a cookie rides along cross-site: ask CSRF
            token = request.headers.get("x-csrf-token", "")
            if not session.get("csrf") or not hmac.compare_digest(token, session["csrf"]):
                raise CsrfRejected("missing or wrong X-CSRF-Token for this desk session")
        return await run_in_threadpool(svc.tenants.get, session["tenant_id"])
    raise AuthError("send an API key as `Authorization: Bearer <key>` (warmline keys create)")


async def key_tenant(key: str, svc: Services, limiter: RateLimiter) -> Tenant:
    """The tenant of API key `key`, after the key's rate limit."""
    limiter.check(hashlib.sha256(key.encode()).hexdigest())
    cached = svc.tenants.cached_tenant(key.strip())  # no thread hop on the hot path
    if cached is not None:
        return cached
    return await run_in_threadpool(svc.tenants.authenticate, key.strip())


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(AuthError):
    """A state-changing request on a desk session without the session's CSRF token."""


async def _services_dependency(request: Request) -> Services:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, which cost
    # every API request an extra thread hop just to read app.state.
    return services(request)


TenantDep = Annotated[Tenant, Depends(api_tenant)]
ServicesDep = Annotated[Services, Depends(_services_dependency)]

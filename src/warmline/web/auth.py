"""Who is calling: an API key (`Authorization: Bearer <key>`, per tenant) for integrations,
or a desk session (a logged-in rep, supervisor or admin), checked against the user's row on
every request so that logout, a password or role change and removal end it at once."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services
from warmline.core.errors import AuthError
from warmline.core.handoff import Role, Tenant
from warmline.web.ratelimit import RateLimiter


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: an API key (`role` None: the tenant's integration, which may
    do everything but manage keys and users) or a desk user with a role."""

    tenant: Tenant
    role: Role | None = None
    user_id: str | None = None
    rep_id: str | None = None

    @property
    def is_supervisor(self) -> bool:
        """An API key, or a supervisor's or admin's session."""
        return self.role in (None, Role.SUPERVISOR, Role.ADMIN)


class Forbidden(AuthError):
    """Authenticated, but not allowed to do this (403)."""


class CsrfRejected(Forbidden):
    """A state-changing request on a desk session without the session's CSRF token."""


def session_fields(tenant_id: str, user_id: str, version: int, csrf: str) -> dict[str, Any]:
    """What a desk session cookie holds: who, and the session version it was issued at
    (the role and rep are read from the user's row on each request, never trusted here)."""
    return {"tenant_id": tenant_id, "user_id": user_id, "sv": version, "csrf": csrf}


async def session_caller(request: Request) -> Caller | None:
    """The desk session's caller, read now; None (and the cookie cleared) when there is no
    session or it has ended."""
    session = request.scope.get("session")
    if not session or not session.get("tenant_id") or not session.get("user_id"):
        return None
    try:
        tenant, user = await run_in_threadpool(
            services(request).tenants.session_user, session["tenant_id"],
            session["user_id"], session.get("sv"))
    except AuthError:
        session.clear()
        return None
    return Caller(tenant=tenant, role=user.role, user_id=user.id, rep_id=user.rep_id)


def bearer_key(header: str) -> str | None:
    """The key of an `Authorization: Bearer <key>` header, normalised: the key as it is
    authenticated, so that rate limits and the key cache agree on it."""
    scheme, _, key = header.partition(" ")
    key = key.strip()
    return key if scheme.lower() == "bearer" and key else None


async def api_caller(request: Request) -> Caller:
    """The caller of an API request: a bearer API key, else a desk session (whose
    state-changing requests must carry its CSRF token)."""
    key = bearer_key(request.headers.get("authorization", ""))
    if key is not None:
        tenant = await key_tenant(key, services(request), request.app.state.rate_limiter)
        return Caller(tenant=tenant)
    caller = await session_caller(request)
    if caller is not None:
        if request.method not in _SAFE_METHODS:  # a cookie rides along cross-site: ask CSRF
            session = request.scope["session"]
            token = request.headers.get("x-csrf-token", "")
            if not session.get("csrf") or not hmac.compare_digest(token, session["csrf"]):
                raise CsrfRejected("missing or wrong X-CSRF-Token for this desk session")
        return caller
    raise AuthError("send an API key as `Authorization: Bearer <key>` (warmline keys create)")


CallerDep = Annotated[Caller, Depends(api_caller)]


async def api_tenant(request: Request) -> Tenant:
    """The tenant of the bearer API key, or of the desk session (any role)."""
    return (await api_caller(request)).tenant


async def supervisor_tenant(caller: CallerDep) -> Tenant:
    """The tenant of an API key or of a supervisor's or admin's desk session; 403 for a
    rep's session."""
    if not caller.is_supervisor:
        raise Forbidden("this needs a supervisor's or admin's login (or an API key)")
    return caller.tenant


async def admin_caller(caller: CallerDep) -> Caller:
    """An admin's desk session: only admins manage keys and users (an API key cannot mint
    keys that would outlive its own revocation)."""
    if caller.role is not Role.ADMIN:
        raise Forbidden("managing keys and users needs an admin's desk login")
    return caller


#: How often a long-lived response (an event stream) checks that its credential still holds.
RECHECK_SECONDS = 5.0


async def still_authorized(request: Request) -> bool:
    """Whether the request's key is still good, or its desk session still open (checked
    without the rate limit): an event stream ends when its key is revoked or its session
    ended."""
    key = bearer_key(request.headers.get("authorization", ""))
    if key is None:
        return await session_caller(request) is not None
    svc = services(request)
    if svc.tenants.cached_tenant(key) is not None:
        return True
    try:
        await run_in_threadpool(svc.tenants.authenticate, key)
    except AuthError:
        return False
    return True


async def key_tenant(key: str, svc: Services, limiter: RateLimiter) -> Tenant:
    """The tenant of API key `key` (normalised by `bearer_key`), after the key's rate
    limit."""
    limiter.check(hashlib.sha256(key.encode()).hexdigest())
    cached = svc.tenants.cached_tenant(key)  # no thread hop on the hot path
    if cached is not None:
        return cached
    return await run_in_threadpool(svc.tenants.authenticate, key)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _services_dependency(request: Request) -> Services:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, which cost
    # every API request an extra thread hop just to read app.state.
    return services(request)


TenantDep = Annotated[Tenant, Depends(api_tenant)]
SupervisorDep = Annotated[Tenant, Depends(supervisor_tenant)]
AdminDep = Annotated[Caller, Depends(admin_caller)]
ServicesDep = Annotated[Services, Depends(_services_dependency)]

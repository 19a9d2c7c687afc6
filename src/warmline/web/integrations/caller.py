"""Who is calling an `/integrations/*` endpoint, and with which platform settings.

Platforms differ in what they can send. Vapi can send any header, so a Warmline API key as
`Authorization: Bearer <key>` works. Retell and Twilio cannot set headers; they sign the body
with a secret of their own instead. Such a platform names the tenant in the URL
(`?tenant=acme`) and its signature, checked against the secret in that tenant's policy
(`integrations.<platform>`), is the credential. An unknown tenant and a bad signature get the
same 401, so tenant names cannot be probed."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from warmline.core.errors import AuthError
from warmline.core.handoff import Tenant
from warmline.core.policy.model import Integration
from warmline.service.deciding import Decider
from warmline.service.tenants import KEY_PREFIX
from warmline.web.auth import api_tenant, services

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    tenant: Tenant
    decider: Decider
    settings: Integration
    """`integrations.<platform>` of the tenant's policy (empty when not configured)."""
    by_api_key: bool
    """True when a Warmline API key authenticated the request; the platform's own
    signature must then still be checked when `settings` configures a secret."""

    def setting(self, key: str) -> str | None:
        return self.settings.get(key)


async def integration_caller(request: Request, platform: str) -> Caller:
    """The tenant behind an integration request. Raises AuthError (401) when neither an API
    key nor `?tenant=` names one; the route must then verify the platform's signature with
    `caller.settings` unless `by_api_key` is set and no secret is configured."""
    svc = services(request)
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    by_key = scheme.lower() == "bearer" and key.strip().startswith(KEY_PREFIX)
    if by_key:
        tenant = await api_tenant(request)
    else:
        name = request.query_params.get("tenant", "").strip()
        if not name:
            raise AuthError(f"name the tenant in the URL (/integrations/{platform}?tenant=NAME) "
                            "or send a Warmline API key as `Authorization: Bearer <key>`")
        found = await run_in_threadpool(svc.tenants.find, name)
        if found is None:
            raise AuthError(f"{platform} request not verified")
        tenant = found
    decider = await run_in_threadpool(svc.tenants.deciding_decider, tenant)
    settings = decider.policy.integrations.get(platform) or Integration(platform=platform)
    return Caller(tenant=tenant, decider=decider, settings=settings, by_api_key=by_key)


def require_signature(caller: Caller, platform: str, *secret_keys: str) -> str | None:
    """The secret to verify the platform's signature with, or None when an API key already
    authenticated the call and no secret is configured. AuthError when the request came with
    neither a key nor a configured secret."""
    for key in secret_keys:
        secret = caller.setting(key)
        if secret:
            return secret
    if caller.by_api_key:
        return None
    # Same answer as an unknown tenant (no probing of names); the fix goes to the log.
    log.warning("%s request for tenant %r rejected: set integrations.%s.%s in its policy or "
                "send a Warmline API key", platform, caller.tenant.name, platform,
                secret_keys[0])
    raise AuthError(f"{platform} request not verified")

"""`POST /integrations/vapi`: Vapi's server URL. Transfer and squad handoff requests go
through the hot path (turns stored idempotently, decided, handoff created and routed) and are
answered in Vapi's format; status, transfer and end-of-call reports move the handoff. The
translation lives in `warmline.adapters.platforms.vapi`; this module does the IO."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from warmline.adapters.platforms import vapi
from warmline.adapters.platforms.vapi import MessageType, VapiMessage, VapiSettings
from warmline.core.errors import InvalidInput, Problem, SignatureInvalid
from warmline.web.auth import services
from warmline.web.integrations.caller import Caller, integration_caller, require_signature
from warmline.web.integrations.inbound import (
    json_answer,
    json_request,
    not_verified,
    read_body,
    refuse_replay,
)
from warmline.web.schemas import ERROR_RESPONSES

log = logging.getLogger(__name__)
router = APIRouter(prefix="/integrations", tags=["integrations"], responses=ERROR_RESPONSES)
PLATFORM = "vapi"
#: Vapi's envelope (docs.vapi.ai/server-url/events); every other field is read if present.
_MESSAGE = {"type": "object", "required": ["message"], "properties": {"message": {
    "type": "object", "required": ["type"], "additionalProperties": True, "properties": {
        "type": {"type": "string", "minLength": 1,
                 "examples": [t.value for t in MessageType]},
        "timestamp": {"type": "number"},
        "call": {"type": "object", "additionalProperties": True,
                 "properties": {"id": {"type": "string"}}}}}}}


@router.post("/vapi", summary="Vapi server URL: transfer/handoff destinations, call reports",
             openapi_extra=json_request(_MESSAGE),
             responses=json_answer("Vapi's answer: a transfer `destination`, an `error` the "
                                   "model reads, an `assistantId`, or `{}` for a report"))
async def vapi_webhook(request: Request) -> dict[str, Any]:
    caller = await integration_caller(request, PLATFORM)
    body = await read_body(request)
    settings = VapiSettings.from_mapping(caller.settings.settings)
    _authenticate(request, caller, settings, body)
    message = vapi.read_message(body)
    match message.type:
        case MessageType.ASSISTANT_REQUEST:
            if settings.assistant_id is None:
                log.warning("vapi assistant-request for tenant %r: set "
                            "integrations.vapi.assistant_id in its policy", caller.tenant.name)
            return vapi.render_assistant(settings)
        case MessageType.TRANSFER_DESTINATION_REQUEST:
            return vapi.render_transfer(await _decide(request, caller, message))
        case MessageType.HANDOFF_DESTINATION_REQUEST:
            return vapi.render_handoff(await _decide(request, caller, message))
    return await _report(request, caller, message)


def _authenticate(request: Request, caller: Caller, settings: VapiSettings, body: bytes
                  ) -> None:
    if not settings.has_credential:
        require_signature(caller, PLATFORM, "secret", "hmac_secret")  # an API key, or 401
        return
    svc = services(request)
    try:
        replay_key = vapi.verify(request.headers, body, settings, now=svc.clock.now())
    except SignatureInvalid as err:
        raise not_verified(PLATFORM, caller.tenant, err) from err
    if replay_key is not None:
        refuse_replay(request, caller.tenant, PLATFORM, replay_key,
                      ttl=settings.max_age_seconds)


async def _decide(request: Request, caller: Caller, message: VapiMessage) -> dict[str, Any]:
    if message.call_id is None:
        raise InvalidInput([Problem(f"a {message.type} must name its call (`call.id`)",
                                    path="$.message.call.id")])
    svc = services(request)
    body = vapi.conversation_body(message)
    result: dict[str, Any] = await run_in_threadpool(svc.turns.post_turns, caller.tenant,
                                                     message.call_id, body)
    request.app.state.notifier.wake()
    return result


async def _report(request: Request, caller: Caller, message: VapiMessage) -> dict[str, Any]:
    """Informational messages: a transfer event when the message carries one; events for
    calls Warmline never saw (or never escalated) change nothing."""
    event = vapi.transfer_event(message)
    if event is None:
        return {}
    svc = services(request)
    handoff = await run_in_threadpool(svc.transfers.record, caller.tenant, event)
    if handoff is None:
        return {}
    request.app.state.notifier.wake()
    return {"handoff_id": handoff.id, "status": handoff.status.value}

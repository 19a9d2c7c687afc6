"""`POST /integrations/generic` (conversation in, decision out) and
`POST /integrations/generic/transfer` (what became of a transfer the platform ran) for any
platform without an adapter of its own. Authenticated by a Warmline API key, or by
`?tenant=NAME` and a Standard Webhooks signature made with `integrations.generic.secret`.
The translation lives in `warmline.adapters.platforms.generic`; this module does the IO."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from warmline.adapters.platforms import generic
from warmline.adapters.platforms.generic import GenericSettings
from warmline.core.errors import SignatureInvalid
from warmline.service.transfers import TransferOutcome, TransferStage
from warmline.web.auth import services
from warmline.web.errors import PayloadTooLarge
from warmline.web.integrations.caller import Caller, integration_caller, require_signature
from warmline.web.integrations.inbound import (
    json_answer,
    json_request,
    not_verified,
    read_body,
    refuse_replay,
)
from warmline.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/integrations", tags=["integrations"], responses=ERROR_RESPONSES)
PLATFORM = "generic"
_TURN = {"type": "object", "required": ["speaker", "text"], "additionalProperties": True,
         "properties": {"id": {"type": "string"}, "text": {"type": "string"},
                        "speaker": {"type": "string", "enum": ["customer", "ai", "rep"]},
                        "at": {"type": "string", "format": "date-time"},
                        "confidence": {"type": "number", "minimum": 0, "maximum": 1}}}
_REQUEST = {"type": "object", "required": ["conversation_id", "turns"],
            "additionalProperties": True, "properties": {
                "conversation_id": {"type": "string", "minLength": 1},
                "turns": {"type": "array", "items": _TURN},
                "customer": {"type": "object", "additionalProperties": True},
                "channel": {"type": "string"},
                "started_at": {"type": "string", "format": "date-time"}}}
_TRANSFER = {"type": "object", "required": ["conversation_id", "stage"],
             "additionalProperties": True, "properties": {
                 "conversation_id": {"type": "string", "minLength": 1},
                 "stage": {"type": "string", "enum": [s.value for s in TransferStage]},
                 "outcome": {"type": ["string", "null"],
                             "enum": [*(o.value for o in TransferOutcome), None]},
                 "at": {"type": "string", "format": "date-time"},
                 "detail": {"type": "string"}}}


async def _verified(request: Request) -> tuple[Caller, bytes]:
    caller = await integration_caller(request, PLATFORM)
    body = await read_body(request)
    settings = GenericSettings.from_mapping(caller.settings.settings)
    if settings.secret is None:
        require_signature(caller, PLATFORM, "secret")  # an API key, or 401
        return caller, body
    svc = services(request)
    try:
        replay_key = generic.verify(request.headers, body, settings, now=svc.clock.now())
    except SignatureInvalid as err:
        raise not_verified(PLATFORM, caller.tenant, err) from err
    refuse_replay(request, caller.tenant, PLATFORM, replay_key, ttl=settings.max_age_seconds)
    return caller, body


@router.post("/generic", summary="Any platform: a conversation's turns in, a decision out",
             openapi_extra=json_request(_REQUEST),
             responses=json_answer("The SPEC §2 decision with `transfer`, `sip_headers` and, "
                                   "for another AI agent, `agent`"))
async def generic_webhook(request: Request) -> dict[str, Any]:
    caller, body = await _verified(request)
    conversation_id, turns_body = generic.read_request(body)
    svc = services(request)
    check_sizes(turns_body, svc.settings.max_turns_per_request, svc.settings.max_turn_chars)
    result = await run_in_threadpool(svc.turns.post_turns, caller.tenant, conversation_id,
                                     turns_body)
    if "handoff_id" in result:  # only then were events written for the desk's streams
        request.app.state.notifier.wake()
    return generic.render(result)


@router.post("/generic/transfer", summary="Any platform: what became of a transfer",
             openapi_extra=json_request(_TRANSFER),
             responses=json_answer("The handoff it moved (`handoff_id`, `status`), or nulls"))
async def generic_transfer(request: Request) -> dict[str, Any]:
    caller, body = await _verified(request)
    event = generic.read_transfer(body)
    svc = services(request)
    handoff = await run_in_threadpool(svc.transfers.record, caller.tenant, event)
    if handoff is None:
        return {"handoff_id": None, "status": None}
    request.app.state.notifier.wake()
    return {"handoff_id": handoff.id, "status": handoff.status.value}


def check_sizes(body: dict[str, Any], max_turns: int, max_chars: int) -> None:
    """The hot path's limits on turns per request and characters per turn (413)."""
    turns = body["turns"]
    if len(turns) > max_turns:
        raise PayloadTooLarge(f"{len(turns)} turns in one request; the limit is {max_turns}")
    for i, turn in enumerate(turns):
        text = turn.get("text") if isinstance(turn, dict) else None
        if isinstance(text, str) and len(text) > max_chars:
            raise PayloadTooLarge(f"turns[{i}].text has {len(text)} characters; the limit is "
                                  f"{max_chars}")

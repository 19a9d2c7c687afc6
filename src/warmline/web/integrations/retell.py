"""`POST /integrations/retell` (Retell's webhooks) and `POST /integrations/retell/function`
(a Retell custom function: "should I transfer, where, with what whisper").

Retell cannot add headers, so the URL names the tenant (`?tenant=acme`) and
`x-retell-signature`, made with the Retell API key in `integrations.retell.api_key` of that
tenant's policy, is the credential. Turns go through the hot path (`post_turns`), so
handoffs, the desk and metrics see Retell calls like any other; every effect is idempotent
(stable turn ids, one-way transfer moves), so Retell's retries and replays change nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from warmline.adapters.platforms import retell
from warmline.bootstrap import Services
from warmline.core.errors import InvalidInput, Problem, SignatureInvalid
from warmline.web.api import read_json
from warmline.web.auth import services
from warmline.web.errors import PayloadTooLarge
from warmline.web.integrations.caller import Caller, integration_caller, require_signature
from warmline.web.integrations.inbound import json_answer, json_request, read_body
from warmline.web.schemas import ERROR_RESPONSES

log = logging.getLogger(__name__)
router = APIRouter(prefix="/integrations/retell", tags=["integrations"],
                   responses=ERROR_RESPONSES)

_CALL = {"type": "object", "required": ["call_id"], "additionalProperties": True,
         "properties": {"call_id": {"type": "string", "minLength": 1},
                        "transcript_object": {"type": "array", "items": {"type": "object"}},
                        "start_timestamp": {"type": "integer"}}}
_SIGNATURE = {"name": retell.SIGNATURE_HEADER, "in": "header", "required": False,
              "schema": {"type": "string"}, "description": "v=<unix ms>,d=<hex sha256>"}
_BODY = json_request({"type": "object", "required": ["event", "call"],
                      "additionalProperties": True,
                      "properties": {"event": {"type": "string"}, "call": _CALL}}, _SIGNATURE)
_FUNCTION_BODY = json_request({"type": "object", "required": ["name", "call"],
                               "additionalProperties": True,
                               "properties": {"name": {"type": "string"}, "call": _CALL,
                                              "args": {"type": "object"}}}, _SIGNATURE)
_TENANT_DOC = ("Name the tenant with `?tenant=NAME`; `x-retell-signature` (made with "
               "`integrations.retell.api_key`) authenticates the request.")


@router.post("", openapi_extra=_BODY, summary="Retell webhook events",
             description=_TENANT_DOC, response_model=None, response_class=Response,
             responses=json_answer("The event, its call and what it did (`action`, "
                                   "`handoff_id`, `handoff_status`)"))
async def retell_webhook(request: Request) -> Response:
    svc = services(request)
    caller = await integration_caller(request, "retell")
    sent_at = await _verified(request, caller, svc)
    data = await read_json(request, svc)
    event = retell.parse_webhook(data, sent_at=sent_at)
    decision = await _post_turns(request, svc, caller, event)
    moved = None
    for transfer in event.transfers:
        handoff = await run_in_threadpool(svc.transfers.record, caller.tenant, transfer)
        moved = handoff or moved
    request.app.state.notifier.wake()
    out: dict[str, Any] = {"event": event.event, "call_id": event.call_id,
                           "action": decision.get("action") if decision else None,
                           "handoff_id": (decision or {}).get("handoff_id")}
    if moved is not None:
        out.update(handoff_id=moved.id, handoff_status=moved.status.value)
    return _json(out)


@router.post("/function", openapi_extra=_FUNCTION_BODY,
             summary="Retell custom function: transfer?", response_class=Response,
             responses=json_answer("The decision as flat keys the agent can save"),
             description=_TENANT_DOC + " Answers with `transfer`, `transfer_number`, "
             "`transfer_sip_uri`, `whisper`, `say_to_customer` and an `instruction` for the "
             "agent's LLM.", response_model=None)
async def retell_function(request: Request) -> Response:
    svc = services(request)
    caller = await integration_caller(request, "retell")
    await _verified(request, caller, svc)
    data = await read_json(request, svc)
    event = retell.parse_function_call(data)
    decision = await _post_turns(request, svc, caller, event)
    request.app.state.notifier.wake()
    return _json(retell.render_function_result(decision or {}, caller.decider.policy))


async def _verified(request: Request, caller: Caller, svc: Services) -> datetime | None:
    """Checks the signature (when a secret applies); returns when Retell signed it."""
    limit = svc.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    secret = require_signature(caller, "retell", "api_key")
    if secret is None:
        return None
    body = await read_body(request)  # bounded: the signature needs the whole body
    try:
        return retell.verify(body, request.headers.get(retell.SIGNATURE_HEADER), secret,
                             now=svc.clock.now(), max_age_seconds=_max_age(caller))
    except SignatureInvalid as err:
        # The same answer as an unknown tenant, so names cannot be probed; the why is logged.
        log.warning("retell request for tenant %r rejected: %s", caller.tenant.name, err)
        raise SignatureInvalid("retell request not verified") from err


def _max_age(caller: Caller) -> float:
    raw = caller.setting("max_age_seconds")
    try:
        value = float(raw) if raw else retell.DEFAULT_MAX_AGE_SECONDS
    except ValueError:
        return retell.DEFAULT_MAX_AGE_SECONDS
    return value if value > 0 else retell.DEFAULT_MAX_AGE_SECONDS


async def _post_turns(request: Request, svc: Services, caller: Caller, event: retell.RetellEvent
                      ) -> Mapping[str, Any] | None:
    if event.turns_body is None:
        return None
    turns = event.turns_body.get("turns") or []
    if len(turns) > svc.settings.max_turns_per_request * 10:  # a whole call, re-sent each time
        raise PayloadTooLarge(f"{len(turns)} utterances in one Retell call; the limit is "
                              f"{svc.settings.max_turns_per_request * 10}")
    for turn in turns:
        if len(turn["text"]) > svc.settings.max_turn_chars:
            index = str(turn["id"]).rsplit(":", 1)[-1]
            raise InvalidInput([Problem(
                f"utterance has {len(turn['text'])} characters; the limit is "
                f"{svc.settings.max_turn_chars}", path=f"$.call.transcript_object[{index}]")])
    result: Mapping[str, Any] = await run_in_threadpool(
        svc.turns.post_turns, caller.tenant, event.call_id, event.turns_body)
    return result


def _json(data: Any) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), media_type="application/json")

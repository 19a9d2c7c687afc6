"""`/integrations/twilio/*`: TwiML for a warm transfer and the callbacks that time it.

- `POST /dial?handoff=ID` — `<Dial>` to the queue's `transfer:` number or SIP URI, with the
  whisper on pickup and status callbacks (an `<Enqueue>` when the queue has nothing to dial).
- `POST|GET /whisper?handoff=ID` — `<Say>` the whisper to the rep before the bridge.
- `POST /handoff` — ConversationRelay's `<Connect action>`: `HandoffData` in, `<Enqueue>`
  with TaskRouter task attributes (reason, priority, brief, queue) out.
- `POST /status` — `CallStatus` / `DialCallStatus` / `QueueResult` into handoff timings.

Twilio cannot add headers: the URL names the tenant (`?tenant=acme`) and `X-Twilio-Signature`,
checked with `integrations.twilio.auth_token` of that tenant's policy, is the credential.
Every callback URL Warmline writes into TwiML carries the tenant and the handoff."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from warmline.adapters.platforms import twilio
from warmline.bootstrap import Services
from warmline.core.decision.sip_header import BRIEF_HEADER, brief_header
from warmline.core.errors import NotFound, SignatureInvalid
from warmline.core.handoff import Handoff
from warmline.web.auth import services
from warmline.web.integrations.caller import Caller, integration_caller, require_signature
from warmline.web.integrations.inbound import TENANT_PARAMETER, read_body
from warmline.web.schemas import ERROR_RESPONSES

log = logging.getLogger(__name__)
router = APIRouter(prefix="/integrations/twilio", tags=["integrations"],
                   responses=ERROR_RESPONSES, default_response_class=Response)
_XML = "application/xml"
_HANDOFF = {"name": "handoff", "in": "query", "required": False,
            "schema": {"type": "string"}, "description": "The decision's handoff_id"}
_CONVERSATION = {"name": "conversation", "in": "query", "required": False,
                 "schema": {"type": "string"}}
_SIGNATURE = {"name": twilio.SIGNATURE_HEADER, "in": "header", "required": False,
              "schema": {"type": "string"}}
#: The form fields Warmline reads; Twilio sends many more (all strings).
_FORM = {"type": "object", "additionalProperties": {"type": "string"}, "properties": {
    k: {"type": "string"} for k in ("CallSid", "ParentCallSid", "CallStatus", "DialCallStatus",
                                    "QueueResult", "AnsweredBy", "Timestamp", "From",
                                    "HandoffData")}}
_TWIML: dict[int | str, dict[str, Any]] = {
    200: {"description": "TwiML", "content": {_XML: {"schema": {"type": "string"}}}}}


def _form(*parameters: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra`: Twilio's form body, `?tenant=` and the route's own parameters."""
    return {"parameters": [TENANT_PARAMETER, _SIGNATURE, *parameters],
            "requestBody": {"required": False, "content": {
                "application/x-www-form-urlencoded": {"schema": _FORM}}}}


async def _twilio_request(request: Request) -> tuple[Services, Caller, twilio.Params]:
    """The tenant, after Twilio's signature of this URL and form checked out."""
    svc = services(request)
    caller = await integration_caller(request, "twilio")
    params = twilio.Params([])
    if request.method == "POST":
        # The size limit on the bytes read, not only on Content-Length (a chunked body has
        # none); the form parser then reads the same cached body.
        await read_body(request)
        form = await request.form()
        params = twilio.Params((k, v) for k, v in form.multi_items() if isinstance(v, str))
    token = require_signature(caller, "twilio", "auth_token")
    if token is not None:
        url = twilio.signed_url(str(request.url), caller.setting("public_url"))
        try:
            twilio.verify(url, params, request.headers.get(twilio.SIGNATURE_HEADER), token,
                          settings_header=request.headers.get(twilio.SETTINGS_HEADER))
        except SignatureInvalid as err:
            # The same answer as an unknown tenant, so names cannot be probed; the why (often
            # a proxy changing the URL: set public_url) is logged.
            log.warning("twilio request for tenant %r to %s rejected: %s",
                        caller.tenant.name, url, err)
            raise SignatureInvalid("twilio request not verified") from err
    return svc, caller, params


def _base_url(request: Request, caller: Caller) -> str:
    public = caller.setting("public_url")
    return (public or str(request.base_url)).rstrip("/")


def _urls(request: Request, caller: Caller, handoff_id: str | None) -> twilio.CallbackUrls:
    query: dict[str, str] = {"tenant": caller.tenant.name}
    if handoff_id:
        query["handoff"] = handoff_id
    base = _base_url(request, caller) + router.prefix
    return twilio.CallbackUrls(whisper=f"{base}/whisper?{urlencode(query)}",
                               status=f"{base}/status?{urlencode(query)}")


async def _handoff(svc: Services, caller: Caller, handoff_id: str | None
                   ) -> tuple[Handoff, Mapping[str, Any]]:
    if not handoff_id:
        raise NotFound("name the handoff: ?handoff=<id> (the decision's handoff_id)")
    handoff, _ = await run_in_threadpool(svc.handoffs.get, caller.tenant, handoff_id)
    decision = dict(handoff.decision)
    decision["handoff_id"] = handoff.id
    return handoff, decision


def _xml(body: str) -> Response:
    return Response(body, media_type=_XML)


@router.post("/dial", summary="TwiML: dial the queue's transfer target with a whisper",
             response_model=None, openapi_extra=_form(_HANDOFF), responses=_TWIML)
async def dial(request: Request) -> Response:
    svc, caller, _ = await _twilio_request(request)
    handoff_id = request.query_params.get("handoff")
    handoff, decision = await _handoff(svc, caller, handoff_id)
    urls = _urls(request, caller, handoff.id)
    twiml = twilio.render_dial(decision, caller.decider.policy, urls,
                               sip_headers=_sip_headers(decision))
    if twiml is None:
        twiml = twilio.render_enqueue(decision, status_url=urls.status,
                                      workflow_sid=caller.setting("workflow_sid"))
    return _xml(twiml)


def _sip_headers(decision: Mapping[str, Any]) -> dict[str, str]:
    """`X-Warmline-Handoff` and, on a warm transfer, the brief as `X-Warmline-Brief`."""
    headers: dict[str, str] = {}
    if decision.get("handoff_id"):
        headers["X-Warmline-Handoff"] = str(decision["handoff_id"])
    brief = decision.get("brief")
    if isinstance(brief, Mapping) and brief_header(brief):
        headers[BRIEF_HEADER] = brief_header(brief)
    return headers


# Twilio fetches a <Number url=...> with POST by default, or GET when `method="GET"`: one
# handler, two operations (distinct ids keep /openapi.json valid).
@router.get("/whisper", response_model=None, operation_id="twilio_whisper_get",
            summary="TwiML: the whisper, spoken to the rep before the bridge",
            openapi_extra={"parameters": [TENANT_PARAMETER, _SIGNATURE, _HANDOFF]},
            responses=_TWIML)
@router.post("/whisper", response_model=None, operation_id="twilio_whisper_post",
             summary="TwiML: the whisper, spoken to the rep before the bridge",
             openapi_extra=_form(_HANDOFF), responses=_TWIML)
async def whisper(request: Request) -> Response:
    svc, caller, params = await _twilio_request(request)
    handoff, decision = await _handoff(svc, caller, request.query_params.get("handoff"))
    if twilio.is_machine(params):  # the rep's voicemail: a voicemail outcome, no message left
        await _record(request, svc, caller, params, handoff.conversation_id)
        return _xml(twilio.render_goodbye(None))
    return _xml(twilio.render_whisper(decision, voice=caller.setting("voice")))


async def _record(request: Request, svc: Services, caller: Caller, params: twilio.Params,
                  conversation_id: str) -> tuple[twilio.StatusReport, Handoff | None]:
    """Twilio's callback as transfer events; the handoff as they left it."""
    report = twilio.parse_status(params, conversation_id)
    handoff = None
    for event in report.transfers:
        handoff = await run_in_threadpool(svc.transfers.record, caller.tenant, event) or handoff
    request.app.state.notifier.wake()
    return report, handoff


@router.post("/handoff", response_model=None, openapi_extra=_form(), responses=_TWIML,
             summary="ConversationRelay action: HandoffData in, <Enqueue> with task attributes")
async def relay_handoff(request: Request) -> Response:
    svc, caller, params = await _twilio_request(request)
    ask = twilio.parse_handoff(params)
    if not ask.requested:  # the session ended on its own: the caller hung up, or an error
        return _xml(twilio.render_goodbye(None))
    if ask.handoff_id:
        _, decision = await _handoff(svc, caller, ask.handoff_id)
    else:
        body = ask.turns_body or {"turns": []}  # no turns: decide on what is stored
        decision = await run_in_threadpool(svc.turns.post_turns, caller.tenant,
                                           ask.conversation_id, body)
        request.app.state.notifier.wake()
    policy = caller.decider.policy
    if decision.get("action") == "callback":
        return _xml(twilio.render_goodbye(decision.get("say_to_customer"),
                                          voice=caller.setting("voice")))
    if decision.get("action") == "continue":
        # The agent asked for a person though no rule fired: honour it, to the default queue.
        decision = {**decision, "destination": {"type": "queue", "queue": policy.defaults.queue}}
    urls = _urls(request, caller, decision.get("handoff_id"))
    return _xml(twilio.render_enqueue(decision, status_url=urls.status,
                                      workflow_sid=caller.setting("workflow_sid"),
                                      call_sid=ask.call_sid, reason=ask.reason))


@router.post("/status", response_model=None, openapi_extra=_form(_HANDOFF, _CONVERSATION),
             responses=_TWIML,
             summary="Status callbacks (CallStatus, DialCallStatus, QueueResult) → timings")
async def status(request: Request) -> Response:
    svc, caller, params = await _twilio_request(request)
    handoff_id = request.query_params.get("handoff")
    if handoff_id:
        handoff, _ = await _handoff(svc, caller, handoff_id)
        conversation_id: str | None = handoff.conversation_id
    else:
        conversation_id = request.query_params.get("conversation") or twilio.call_key(params)
    if not conversation_id:
        raise NotFound("name the handoff (?handoff=<id>) or send CallSid")
    report, moved = await _record(request, svc, caller, params, conversation_id)
    # A dial whose rep line went to voicemail ends "completed" for Twilio, failed for us.
    voicemail = moved is not None and moved.outcome == "voicemail"
    if report.is_dial_result and (report.failed or voicemail):
        return _xml(twilio.render_goodbye(twilio.NOBODY_AVAILABLE, voice=caller.setting("voice")))
    if report.is_dial_result:
        return _xml(twilio.render_goodbye(None))
    return _xml(twilio.render_nothing())

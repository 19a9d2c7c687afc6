"""The JSON API of SPEC §5 (`/v1`). Handlers only translate: HTTP in, a service call in a
worker thread, JSON out; the services own the transactions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services
from warmline.core.conversation import parse_conversation
from warmline.core.decision.situation import zone
from warmline.core.errors import InvalidInput, Problem
from warmline.core.handoff import CallbackResult, Handoff, HandoffStatus, Rep, RepStatus
from warmline.service.handoffs import rep_etag
from warmline.service.transcripts import handoff_transcript
from warmline.web.auth import Caller, CallerDep, Forbidden, ServicesDep, SupervisorDep, TenantDep
from warmline.web.errors import PayloadTooLarge
from warmline.web.schemas import (
    CONVERSATION_BODY,
    ERROR_RESPONSES,
    TURNS_BODY,
    CallbackReport,
    Complete,
    ConversationId,
    HandBack,
    HandoffId,
    Outcome,
    QueueName,
    RepAction,
    RepId,
    RepUpdate,
    check_stored_text,
)

router = APIRouter(prefix="/v1", responses=ERROR_RESPONSES)


async def read_body(request: Request, svc: Services) -> bytes:
    """The raw body, or a 413 past `max_body_bytes` (checked before reading when declared)."""
    limit = svc.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")
    body: bytes | None = getattr(request, "_body", None)  # read before (a signature check)
    if body is None:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():  # stop at the limit: never buffer a huge body
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the body is over {limit} bytes; the limit is {limit}")
        body = b"".join(chunks)
        request._body = body  # Starlette's own cache: later body() and stream() calls see it
    if len(body) > limit:
        raise PayloadTooLarge(f"the body is over {limit} bytes; the limit is {limit}")
    return body


async def read_json(request: Request, svc: Services) -> Any:
    """The body as JSON, within the size limit, or a located 413 / 422."""
    return parse_json_body(await read_body(request, svc))


def parse_json_body(body: bytes) -> Any:
    """`body` as JSON, or a located 422 (bad JSON, too deep, NUL characters, long ids)."""
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        line, column = getattr(err, "lineno", None), getattr(err, "colno", None)
        raise InvalidInput([Problem(f"not valid JSON: {getattr(err, 'msg', err)}",
                                    path="$", line=line, column=column)]) from err
    except RecursionError as err:  # e.g. 10,000 nested arrays: the parser's stack ends
        raise InvalidInput([Problem("JSON nests too deeply", path="$")]) from err
    check_stored_text(body, data)
    return data


def check_sizes(data: Any, svc: Services) -> None:
    turns = data.get("turns") if isinstance(data, dict) else None
    if not isinstance(turns, list):
        return
    if len(turns) > svc.settings.max_turns_per_request:
        raise PayloadTooLarge(f"{len(turns)} turns in one request; the limit is "
                              f"{svc.settings.max_turns_per_request}")
    for i, turn in enumerate(turns):
        text = turn.get("text") if isinstance(turn, dict) else None
        if isinstance(text, str) and len(text) > svc.settings.max_turn_chars:
            raise PayloadTooLarge(f"turns[{i}].text has {len(text)} characters; the limit "
                                  f"is {svc.settings.max_turn_chars}")


@router.post("/conversations/{conversation_id}/turns", openapi_extra=TURNS_BODY,
             summary="Append turns and decide (the hot path)",
             response_model=None, responses={200: {"description": "The SPEC §2 decision"}})
async def post_turns(conversation_id: ConversationId, request: Request, tenant: SupervisorDep,
                     svc: ServicesDep) -> Response:
    data = await read_json(request, svc)
    if not isinstance(data, dict):
        raise InvalidInput([Problem("expected an object with `turns`", path="$")])
    check_sizes(data, svc)
    result = await run_in_threadpool(svc.turns.post_turns, tenant, conversation_id, data)
    if "handoff_id" in result:  # only then did the turn write events for the desk's streams
        request.app.state.notifier.wake()
    # Plain JSON out: the decision is already JSON-shaped, so FastAPI's encoder walk is waste.
    return Response(json.dumps(result, separators=(",", ":")), media_type="application/json")


@router.post("/decide", openapi_extra=CONVERSATION_BODY, summary="Decide a whole conversation")
async def decide(request: Request, tenant: SupervisorDep, svc: ServicesDep) -> dict[str, Any]:
    data = await read_json(request, svc)
    check_sizes(data, svc)
    conversation = parse_conversation(data, source="request")
    decider = await run_in_threadpool(svc.tenants.deciding_decider, tenant)
    decision = await run_in_threadpool(decider.decide, conversation, now=svc.clock.now())
    return decision.to_dict()


def handoff_json(handoff: Handoff, transcript: list[dict[str, Any]] | None = None
                 ) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value else None

    wait = None
    if handoff.accepted_at is not None:
        wait = round((handoff.accepted_at - handoff.created_at).total_seconds(), 3)
    out: dict[str, Any] = {
        "id": handoff.id, "conversation_id": handoff.conversation_id, "queue": handoff.queue,
        "status": handoff.status.value, "priority": handoff.priority, "mode": handoff.mode,
        "rep_id": handoff.rep_id, "decision": dict(handoff.decision),
        "brief": handoff.decision.get("brief"), "tags": handoff.decision.get("tags", []),
        "reasons": handoff.decision.get("reasons", []),
        "timings": {"created_at": iso(handoff.created_at), "offered_at": iso(handoff.offered_at),
                    "accepted_at": iso(handoff.accepted_at),
                    "completed_at": iso(handoff.completed_at), "handoff_seconds": wait},
        "outcome": handoff.outcome, "csat": handoff.csat, "ai_was_wrong": handoff.ai_was_wrong,
        "note": handoff.note, "overflowed_from": handoff.overflowed_from,
    }
    if transcript is not None:
        out["transcript"] = transcript
    return out


@router.get("/handoffs", summary="List handoffs")
async def list_handoffs(tenant: TenantDep, svc: ServicesDep, status: HandoffStatus | None = None,
                        queue: QueueName = None, limit: int = 100) -> dict[str, Any]:
    limit = max(1, min(limit, 500))
    items = await run_in_threadpool(svc.handoffs.list, tenant, status=status, queue=queue,
                                    limit=limit)
    return {"handoffs": [handoff_json(h) for h in items]}


@router.get("/handoffs/{handoff_id}", summary="One handoff with brief, transcript, timings")
async def get_handoff(handoff_id: HandoffId, tenant: TenantDep, svc: ServicesDep) -> dict[str, Any]:
    handoff, transcript = await run_in_threadpool(handoff_transcript, svc.handoffs, tenant,
                                                  handoff_id)
    return handoff_json(handoff, transcript)


def acting_rep(caller: Caller, body: RepAction) -> str:
    """The acting rep: the desk session's; a supervisor's session or an API key may name
    one in `rep_id`. A rep's session acts only as its own rep."""
    if caller.rep_id is not None:
        return caller.rep_id
    if not caller.is_supervisor:
        raise Forbidden("this login has no rep profile, so it cannot act on handoffs")
    if not body.rep_id:
        raise InvalidInput([Problem("say which rep acts: `rep_id`", path="$.rep_id")])
    return str(body.rep_id)


async def rep_action(request: Request, caller: Caller, body: RepAction,
                     action: Callable[[str], Handoff]) -> dict[str, Any]:
    """Run a rep's action in a worker thread, wake the event streams, answer the handoff."""
    done = await run_in_threadpool(action, acting_rep(caller, body))
    request.app.state.notifier.wake()
    return handoff_json(done)


@router.post("/handoffs/{handoff_id}/accept", summary="A rep accepts (409 if taken)")
async def accept(handoff_id: HandoffId, body: RepAction, request: Request, caller: CallerDep,
                 svc: ServicesDep) -> dict[str, Any]:
    tenant = caller.tenant
    return await rep_action(request, caller, body,
                            lambda rep: svc.handoffs.accept(tenant, handoff_id, rep))


@router.post("/handoffs/{handoff_id}/decline", summary="A rep declines; the next rep is offered")
async def decline(handoff_id: HandoffId, body: RepAction, request: Request, caller: CallerDep,
                  svc: ServicesDep) -> dict[str, Any]:
    tenant = caller.tenant
    return await rep_action(request, caller, body,
                            lambda rep: svc.handoffs.decline(tenant, handoff_id, rep))


@router.post("/handoffs/{handoff_id}/complete", summary="Finish with outcome and CSAT")
async def complete(handoff_id: HandoffId, body: Complete, request: Request, caller: CallerDep,
                   svc: ServicesDep) -> dict[str, Any]:
    tenant = caller.tenant
    return await rep_action(request, caller, body, lambda rep: svc.handoffs.complete(
        tenant, handoff_id, rep, outcome=body.outcome, csat=body.csat,
        ai_was_wrong=body.ai_was_wrong))


@router.post("/handoffs/{handoff_id}/hand-back", summary="Return the conversation to the AI")
async def hand_back(handoff_id: HandoffId, body: HandBack, request: Request, caller: CallerDep,
                    svc: ServicesDep) -> dict[str, Any]:
    tenant = caller.tenant
    return await rep_action(request, caller, body, lambda rep: svc.handoffs.hand_back(
        tenant, handoff_id, rep, body.note))


@router.post("/handoffs/{handoff_id}/callback-result",
             summary="What came of calling the customer back (done, no_answer, rescheduled)",
             description="Applies to every callback waiting for the same customer in the same "
                         "queue; answers them all.")
async def callback_result(handoff_id: HandoffId, body: CallbackReport, request: Request,
                          caller: CallerDep, svc: ServicesDep) -> dict[str, Any]:
    tenant, result = caller.tenant, CallbackResult(body.result)
    done = await run_in_threadpool(lambda: svc.handoffs.callback_result(
        tenant, handoff_id, acting_rep(caller, body), result))
    request.app.state.notifier.wake()
    return {"handoffs": [handoff_json(h) for h in done]}


def rep_json(rep: Rep) -> dict[str, Any]:
    return {"id": rep.id, "name": rep.name, "skills": list(rep.skills),
            "capacity": rep.capacity, "active": rep.active, "status": rep.status.value,
            "timezone": rep.timezone,
            "idle_since": rep.idle_since.isoformat() if rep.idle_since else None,
            "missed_offers": rep.missed_offers}


def check_rep_access(caller: Caller, rep_id: str, body: RepUpdate | None = None) -> None:
    """A rep's session reads its own rep and changes only its own status; the rest needs
    a supervisor, an admin or an API key."""
    if caller.is_supervisor:
        return
    if rep_id != caller.rep_id:
        raise Forbidden(f"a rep's login reads and changes only its own rep, not {rep_id!r}")
    if body is not None and body.model_dump(exclude_unset=True).keys() - {"status"}:
        raise Forbidden("a rep's login changes only its own `status`; skills, capacity, name "
                        "and timezone need a supervisor")


@router.get("/reps/{rep_id}", summary="A rep's skills, capacity and status (with an ETag)")
async def get_rep(rep_id: RepId, response: Response, caller: CallerDep, svc: ServicesDep
                  ) -> dict[str, Any]:
    check_rep_access(caller, rep_id)
    rep = await run_in_threadpool(svc.reps.get, caller.tenant, rep_id)
    response.headers["ETag"] = rep_etag(rep)
    return rep_json(rep)


@router.put("/reps/{rep_id}", summary="Create or update a rep (a rep's login: own status only)",
            description="With `If-Match: <ETag from GET>`, a rep changed since is refused "
                        "with 412 instead of overwritten.")
async def put_rep(rep_id: RepId, body: RepUpdate, request: Request, *, response: Response,
                  caller: CallerDep, svc: ServicesDep) -> dict[str, Any]:
    check_rep_access(caller, rep_id, body)
    tenant = caller.tenant
    if_match = request.headers.get("if-match")
    rep = await run_in_threadpool(
        lambda: svc.reps.put(tenant, rep_id, name=body.name,
                             skills=tuple(body.skills) if body.skills is not None else None,
                             capacity=body.capacity,
                             status=RepStatus(body.status) if body.status else None,
                             timezone=body.timezone, if_match=if_match))
    request.app.state.notifier.wake()
    response.headers["ETag"] = rep_etag(rep)
    return rep_json(rep)


@router.get("/queues", summary="The tenant's queues with waiting counts")
async def list_queues(tenant: TenantDep, svc: ServicesDep) -> dict[str, Any]:
    policy = svc.tenants.decider_for(tenant).policy
    waiting = await run_in_threadpool(svc.handoffs.list, tenant, status=HandoffStatus.QUEUED,
                                      limit=500)
    counts: dict[str, int] = {}
    for handoff in waiting:
        counts[handoff.queue] = counts.get(handoff.queue, 0) + 1
    return {"queues": [{"name": q.name, "skills": list(q.skills), "agent": q.agent,
                        "waiting": counts.get(q.name, 0),
                        "open_now": q.hours.is_open(svc.clock.now().astimezone(
                            zone(policy.timezone)))}
                       for q in policy.queues.values()]}


@router.post("/outcomes", summary="Report CSAT or an outcome later")
async def post_outcome(body: Outcome, tenant: SupervisorDep, svc: ServicesDep
                       ) -> dict[str, Any]:
    handoff = await run_in_threadpool(svc.handoffs.record_outcome, tenant, body.handoff_id,
                                      csat=body.csat, outcome=body.outcome)
    return handoff_json(handoff)


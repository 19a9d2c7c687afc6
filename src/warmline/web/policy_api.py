"""The tenant's policy over the JSON API (`/v1/policy`, issue 21): the published version,
the draft (ETag / If-Match), checks, publish, versions with diffs, and rollback. Supervisors,
admins and the tenant's API keys; every change records who made it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from warmline.bootstrap import Services
from warmline.core.errors import InvalidInput, NotFound, Problem
from warmline.service.policy_admin import PolicyAdmin, PolicyRefused, draft_etag
from warmline.web.auth import Caller, CallerDep, Forbidden, ServicesDep
from warmline.web.errors import error_body
from warmline.web.schemas import ERROR_RESPONSES, Strict, Text

router = APIRouter(prefix="/v1/policy", responses=ERROR_RESPONSES, tags=["policy"])

#: A policy's YAML text at most (a bundled policy is about 5 kB).
MAX_YAML = 200_000


class Draft(Strict):
    yaml: Text = Field(max_length=MAX_YAML)
    note: Text = Field("", max_length=2000)


class Check(Strict):
    yaml: Text = Field(max_length=MAX_YAML)


class WhatIf(Strict):
    last: int | None = Field(None, ge=1, le=100_000)
    since: str | None = Field(None, max_length=64)
    until: str | None = Field(None, max_length=64)
    yaml: Text | None = Field(None, max_length=MAX_YAML)


class Publish(Strict):
    note: Text | None = Field(None, max_length=2000)


async def editor(caller: CallerDep) -> Caller:
    if not caller.is_supervisor:
        raise Forbidden("the policy needs a supervisor's or admin's login (or an API key)")
    return caller


EditorDep = Annotated[Caller, Depends(editor)]


def _admin(svc: Services) -> PolicyAdmin:
    if svc.policy_admin is None:
        raise NotFound("this server keeps no policy versions")
    return svc.policy_admin


def problems_json(problems: list[Problem]) -> list[dict[str, object]]:
    return [{k: v for k, v in (("path", p.path), ("message", p.message), ("line", p.line),
                               ("column", p.column), ("rule", p.rule)) if v is not None}
            for p in problems]


def _refused(err: PolicyRefused) -> JSONResponse:
    return JSONResponse(status_code=409, content=error_body(
        "conflict", str(err), problems=problems_json(err.problems)))


def _who(caller: Caller, svc: Services) -> str:
    """Who made a change: the desk user's name, else the API key."""
    if caller.user_id is None:
        return "api key"
    with svc.store.read() as tx:
        user = tx.get_user(caller.tenant.id, caller.user_id)
    return f"user {user.username}" if user is not None else f"user {caller.user_id}"


@router.get("", summary="The published policy version")
async def get_published(caller: EditorDep, svc: ServicesDep) -> dict[str, Any]:
    version = await run_in_threadpool(_admin(svc).published, caller.tenant)
    return version.to_dict()


@router.get("/draft", summary="The draft (with an ETag)")
async def get_draft(caller: EditorDep, svc: ServicesDep, response: Response) -> dict[str, Any]:
    draft = await run_in_threadpool(_admin(svc).draft, caller.tenant)
    response.headers["ETag"] = draft_etag(draft)
    return draft.to_dict()


@router.put("/draft", summary="Save the draft (an invalid one too; it cannot be published)",
            description='With `If-Match: <ETag from GET>` (`"none"` before the first draft), '
                        "a draft changed since is refused with 412 and nothing is written.")
async def put_draft(body: Draft, request: Request, response: Response, caller: EditorDep,
                    svc: ServicesDep) -> dict[str, Any]:
    if_match = request.headers.get("if-match")

    def save() -> dict[str, Any]:
        admin = _admin(svc)
        draft = admin.save_draft(caller.tenant, body.yaml, body.note,
                                 author=_who(caller, svc), if_match=if_match)
        response.headers["ETag"] = draft_etag(draft)
        return {**draft.to_dict(), "problems": problems_json(admin.check(body.yaml))}

    return await run_in_threadpool(save)


@router.post("/check", summary="The located problems of policy YAML (as `policy check`)")
async def check(body: Check, caller: EditorDep, svc: ServicesDep) -> dict[str, Any]:
    del caller
    problems = await run_in_threadpool(_admin(svc).check, body.yaml)
    return {"ok": not problems, "problems": problems_json(problems)}


@router.post("/publish", summary="Publish the draft (409 with the problems when invalid)",
             responses={409: {"description": "The draft does not validate: its problems."}})
async def publish(body: Publish, caller: EditorDep, svc: ServicesDep) -> Any:
    try:
        done = await run_in_threadpool(
            lambda: _admin(svc).publish(caller.tenant, body.note, by=_who(caller, svc)))
    except PolicyRefused as err:
        return _refused(err)
    return done.to_dict()


def _time(text: str | None, name: str) -> datetime | None:
    """An ISO 8601 time with its offset (UTC when it has none)."""
    if text is None:
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput([Problem(f"{text!r} is not an ISO 8601 time", path=f"$.{name}")]
                           ) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


@router.post("/what-if", summary="The draft (or posted YAML) against the published version",
             description="Over the tenant's last N stored conversations (`{\"last\": N}`) "
                         "or those last updated in a window (`{\"since\", \"until\"}`).",
             responses={409: {"description": "The policy does not validate: its problems."}})
async def post_what_if(body: WhatIf, caller: EditorDep, svc: ServicesDep) -> Any:
    if (body.last is None) == (body.since is None and body.until is None):
        raise InvalidInput([Problem('give either "last" or "since" and "until"', path="$")])
    since, until = _time(body.since, "since"), _time(body.until, "until")
    try:
        return await run_in_threadpool(
            lambda: _admin(svc).what_if(caller.tenant, yaml=body.yaml, last=body.last,
                                        since=since, until=until))
    except PolicyRefused as err:
        return _refused(err)


@router.get("/versions", summary="Every version, newest last (without the YAML)")
async def list_versions(caller: EditorDep, svc: ServicesDep) -> dict[str, Any]:
    kept = await run_in_threadpool(_admin(svc).versions, caller.tenant)
    return {"versions": [v.to_dict(with_yaml=False) for v in kept]}


@router.get("/versions/{number}", summary="One version (`?diff=m`: a diff from version m)")
async def get_version(number: int, caller: EditorDep, svc: ServicesDep,
                      diff: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    admin = _admin(svc)
    version = await run_in_threadpool(admin.version, caller.tenant, number)
    out = version.to_dict()
    if diff is not None:
        out["diff"] = await run_in_threadpool(admin.diff, caller.tenant, number, diff)
        out["diff_against"] = diff
    return out


@router.post("/rollback/{number}", summary="Publish an earlier version again (as a new one)",
             responses={409: {"description": "That version no longer validates: why."}})
async def rollback(number: int, caller: EditorDep, svc: ServicesDep) -> Any:
    try:
        done = await run_in_threadpool(
            lambda: _admin(svc).rollback(caller.tenant, number, by=_who(caller, svc)))
    except PolicyRefused as err:
        return _refused(err)
    return done.to_dict()

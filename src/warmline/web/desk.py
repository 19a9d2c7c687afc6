"""The rep desk (`/desk`): server-rendered pages and htmx fragments, kept live by the
`/v1/events` stream. Every form post checks the session's CSRF token, every read is scoped by
the session's tenant, and transcripts pass the policy's redaction before they reach a page."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from warmline.core.errors import AuthError, Conflict, InvalidInput, NotFound, TenantMismatch
from warmline.core.handoff import CallbackResult, RepStatus
from warmline.web.auth import services, session_fields
from warmline.web.desk_views import (
    DeskUser,
    active_view,
    board_view,
    offers_view,
    one_card_view,
    supervisor_view,
    transcript_view,
)
from warmline.web.ratelimit import LoginThrottle

router = APIRouter(prefix="/desk", include_in_schema=False)
WEB_DIR = Path(__file__).parent
#: Event types that change which handoffs wait where (the SSE stream's `event:` names).
HANDOFF_EVENTS = ("handoff.created", "handoff.offered", "handoff.accepted", "handoff.declined",
                  "handoff.missed", "handoff.overflowed", "handoff.completed",
                  "handoff.handed_back", "handoff.callback_scheduled", "handoff.failed",
                  "rep.updated")
STATUS_CHOICES = (RepStatus.AVAILABLE, RepStatus.AWAY, RepStatus.OFFLINE)
FAILED_LOGIN = "Wrong tenant, username or password."
MAX_FIELD = 1000
#: The login form's largest body: its four fields, percent-encoded, fit with room to spare.
LOGIN_MAX_BYTES = 16 * 1024
#: Failed logins before the back-off starts: per account, and per client address (higher:
#: an office behind one NAT address shares it).
ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
T = TypeVar("T")


class LoginRequired(Exception):
    """No (valid) desk session: pages redirect to the login form, htmx calls get 401."""


class DeskProblem(Exception):
    """An error shown to the rep as a notice (htmx) or an error page, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


async def desk_user(request: Request) -> DeskUser:
    """The session's user as stored now: a session whose user is gone, or whose version is
    not the user's any more (logged out, password or role changed), is over."""
    session = request.session
    tenant_id, user_id, csrf = (session.get(k) for k in ("tenant_id", "user_id", "csrf"))
    if not tenant_id or not user_id or not csrf:
        raise LoginRequired
    try:
        tenant, user = await run_in_threadpool(services(request).tenants.session_user,
                                               tenant_id, user_id, session.get("sv"))
    except AuthError as err:
        session.clear()
        raise LoginRequired from err
    return DeskUser(tenant=tenant, user_id=user.id, username=user.username, role=user.role,
                    rep_id=user.rep_id, csrf=csrf)


UserDep = Annotated[DeskUser, Depends(desk_user)]


async def checked_user(request: Request, user: UserDep) -> DeskUser:
    """The session's user, once the request proved it came from a desk page: the CSRF token
    in `X-CSRF-Token` (htmx sends it via `hx-headers`) or in the form field `csrf`."""
    sent = request.headers.get("x-csrf-token")
    if sent is None:
        sent = _field(await request.form(), "csrf")
    if not sent or not secrets.compare_digest(sent.encode(), user.csrf.encode()):
        raise DeskProblem(403, "This form has expired; reload the page and try again.")
    return user


CheckedDep = Annotated[DeskUser, Depends(checked_user)]


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


async def _run(fn: Callable[..., T], *args: Any) -> T:
    """A service call in a worker thread, its errors turned into desk notices."""
    try:
        return await run_in_threadpool(fn, *args)
    except (NotFound, TenantMismatch) as err:
        raise DeskProblem(404, str(err)) from err
    except Conflict as err:
        raise DeskProblem(409, str(err)) from err
    except InvalidInput as err:
        raise DeskProblem(422, str(err)) from err
    except AuthError as err:
        raise DeskProblem(403, str(err)) from err


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.desk_templates
    return templates.TemplateResponse(request, name, context, status_code=status)


# --- views: plain dicts for the templates, built in a worker thread (they query) ----------


@router.get("/login")
async def login_form(request: Request) -> Response:
    if request.session.get("tenant_id"):
        return RedirectResponse("/desk", status_code=303)
    return _login_page(request)


def _login_page(request: Request, status: int = 200, *, fresh: bool = False,
                headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    # A token before login too, so no other site can log a browser into its own account;
    # a new one after every attempt (`fresh`), so a token seen once is never good again.
    if fresh or not request.session.get("login_csrf"):
        request.session["login_csrf"] = secrets.token_urlsafe(32)
    response = _render(request, "desk/login.html", status,
                       login_csrf=request.session["login_csrf"], **context)
    response.headers.update(headers or {})
    return response


async def _login_form(request: Request) -> FormData:
    """The login form, read only up to `LOGIN_MAX_BYTES` (413 past it, before parsing)."""
    declared = request.headers.get("content-length", "")
    too_big = DeskProblem(413, f"The login form is larger than {LOGIN_MAX_BYTES // 1024} KB; "
                               "send only tenant, username and password.")
    if declared.isdigit() and int(declared) > LOGIN_MAX_BYTES:
        raise too_big
    size, chunks = 0, []
    async for chunk in request.stream():
        size += len(chunk)
        if size > LOGIN_MAX_BYTES:
            raise too_big
        chunks.append(chunk)
    request._body = b"".join(chunks)  # Starlette's cache: form() parses these bytes
    return await request.form()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _login_form(request)
    tenant, username = _field(form, "tenant").strip(), _field(form, "username").strip()
    expected = str(request.session.get("login_csrf") or "")
    if not expected or not secrets.compare_digest(_field(form, "csrf").encode(),
                                                  expected.encode()):
        return _login_page(request, 403, fresh=True, tenant=tenant, username=username,
                           error="The login form expired; please try again.")
    throttle: LoginThrottle = request.app.state.login_throttle
    account = ("account", tenant.casefold(), username.casefold())
    address = ("address", _client(request))
    wait = throttle.attempt([(account, ACCOUNT_FREE_FAILURES),
                             (address, ADDRESS_FREE_FAILURES)])
    if wait > 0:  # refused without hashing: a guess here costs the server nothing
        seconds = max(1, math.ceil(wait))
        return _login_page(request, 429, fresh=True, tenant=tenant, username=username,
                           headers={"Retry-After": str(seconds)},
                           error=f"Too many failed logins; try again in {seconds} s.")
    svc = services(request)
    try:
        user = await run_in_threadpool(svc.tenants.login, tenant, username,
                                       _field(form, "password"))
    except (AuthError, InvalidInput):  # `attempt` counted the failure already
        return _login_page(request, 401, fresh=True, error=FAILED_LOGIN, tenant=tenant,
                           username=username)
    throttle.succeeded(account, address)
    request.session.clear()  # a fresh session: nothing from before the login carries over
    request.session.update(session_fields(user.tenant_id, user.id, user.session_version,
                                          secrets.token_urlsafe(32)))
    return RedirectResponse("/desk", status_code=303)


@router.post("/logout")
async def logout(request: Request, user: CheckedDep) -> Response:
    """Ends every session of this user, on every device and worker, not just this one."""
    await _run(services(request).tenants.end_sessions, user.tenant.id, user.user_id)
    request.session.clear()
    return RedirectResponse("/desk/login", status_code=303)


@router.get("")
async def desk_page(request: Request, user: UserDep) -> HTMLResponse:
    view = await _run(board_view, services(request), user)
    return _render(request, "desk/desk.html", user=user, statuses=STATUS_CHOICES, **view)


@router.get("/supervisor")
async def supervisor_page(request: Request, user: UserDep) -> HTMLResponse:
    _need_supervisor(user)
    view = await _run(supervisor_view, services(request), user.tenant)
    return _render(request, "desk/supervisor.html", user=user, **view)


def _need_supervisor(user: DeskUser) -> None:
    if not user.is_supervisor:
        raise DeskProblem(403, "The supervisor view is for supervisors and admins.")


def _need_rep(user: DeskUser) -> str:
    if user.rep_id is None:
        raise DeskProblem(403, "Your login has no rep profile, so it cannot take handoffs.")
    return user.rep_id


@router.get("/partials/offers")
async def offers_partial(request: Request, user: UserDep) -> HTMLResponse:
    view = await _run(offers_view, services(request), user)
    return _render(request, "desk/partials/offers.html", user=user, **view)


@router.get("/partials/active")
async def active_partial(request: Request, user: UserDep) -> HTMLResponse:
    view = await _run(active_view, services(request), user)
    return _render(request, "desk/partials/active.html", user=user, **view)


@router.get("/partials/handoffs/{handoff_id}")
async def card_partial(handoff_id: str, request: Request, user: UserDep) -> HTMLResponse:
    view = await _run(one_card_view, services(request), user, handoff_id)
    return _render(request, "desk/partials/card.html", user=user, **view)


@router.get("/partials/handoffs/{handoff_id}/transcript")
async def transcript_partial(handoff_id: str, request: Request, user: UserDep) -> HTMLResponse:
    turns = await _run(transcript_view, services(request), user.tenant, handoff_id)
    return _render(request, "desk/partials/transcript.html", turns=turns)


@router.get("/partials/supervisor")
async def supervisor_partial(request: Request, user: UserDep) -> HTMLResponse:
    _need_supervisor(user)
    view = await _run(supervisor_view, services(request), user.tenant)
    return _render(request, "desk/partials/supervisor.html", user=user, **view)


# --- actions: each returns the rep's active handoffs, and the offers out of band ----------


async def _acted(request: Request, user: DeskUser, action: Callable[[], object]) -> Response:
    await _run(action)
    request.app.state.notifier.wake()
    if not _is_htmx(request):  # a plain form post (no JavaScript): back to the page
        return RedirectResponse("/desk", status_code=303)
    view = await _run(board_view, services(request), user)
    return _render(request, "desk/partials/acted.html", user=user, **view)


@router.post("/handoffs/{handoff_id}/accept")
async def accept(handoff_id: str, request: Request, user: CheckedDep) -> Response:
    rep_id, svc = _need_rep(user), services(request)
    return await _acted(request, user, lambda: svc.handoffs.accept(user.tenant, handoff_id,
                                                                   rep_id))


@router.post("/handoffs/{handoff_id}/decline")
async def decline(handoff_id: str, request: Request, user: CheckedDep) -> Response:
    rep_id, svc = _need_rep(user), services(request)
    return await _acted(request, user, lambda: svc.handoffs.decline(user.tenant, handoff_id,
                                                                    rep_id))


@router.post("/handoffs/{handoff_id}/complete")
async def complete(handoff_id: str, request: Request, user: CheckedDep) -> Response:
    rep_id, svc = _need_rep(user), services(request)
    form = await request.form()
    csat_text = _field(form, "csat").strip()
    if csat_text and csat_text not in {"1", "2", "3", "4", "5"}:
        raise DeskProblem(422, f"CSAT must be 1 to 5, got {csat_text!r}.")
    outcome = _field(form, "outcome").strip()[:200] or None
    return await _acted(request, user, lambda: svc.handoffs.complete(
        user.tenant, handoff_id, rep_id, outcome=outcome,
        csat=int(csat_text) if csat_text else None,
        ai_was_wrong=_field(form, "ai_was_wrong") in {"on", "true", "1"}))


@router.post("/handoffs/{handoff_id}/hand-back")
async def hand_back(handoff_id: str, request: Request, user: CheckedDep) -> Response:
    rep_id, svc = _need_rep(user), services(request)
    note = _field(await request.form(), "note").strip()[:2000]
    if not note:
        raise DeskProblem(422, "Write a note for the AI before handing back.")
    return await _acted(request, user, lambda: svc.handoffs.hand_back(user.tenant, handoff_id,
                                                                      rep_id, note))


@router.post("/handoffs/{handoff_id}/callback-result")
async def callback_result(handoff_id: str, request: Request, user: CheckedDep) -> Response:
    rep_id, svc = _need_rep(user), services(request)
    value = _field(await request.form(), "result")
    if value not in {r.value for r in CallbackResult}:
        raise DeskProblem(422, f"A callback is done, no_answer or rescheduled, got {value!r}.")
    return await _acted(request, user, lambda: svc.handoffs.callback_result(
        user.tenant, handoff_id, rep_id, CallbackResult(value)))


@router.post("/status")
async def set_status(request: Request, user: CheckedDep) -> Response:
    rep_id, svc = _need_rep(user), services(request)
    value = _field(await request.form(), "status")
    if value not in {s.value for s in STATUS_CHOICES}:
        raise DeskProblem(422, f"Status must be available, away or offline, got {value!r}.")
    rep = await _run(lambda: svc.reps.put(user.tenant, rep_id, status=RepStatus(value)))
    request.app.state.notifier.wake()
    if not _is_htmx(request):
        return RedirectResponse("/desk", status_code=303)
    return _render(request, "desk/partials/status.html", user=user, rep=rep,
                   statuses=STATUS_CHOICES)


# --- wiring --------------------------------------------------------------------------------


async def _login_required(request: Request, err: Exception) -> Response:
    if _is_htmx(request):  # htmx follows HX-Redirect with a full page load
        return Response(status_code=401, headers={"HX-Redirect": "/desk/login"})
    return RedirectResponse("/desk/login", status_code=303)


async def _desk_problem(request: Request, err: Exception) -> Response:
    assert isinstance(err, DeskProblem)
    if _is_htmx(request):  # shown in the page's notice area, whatever element asked
        response = _render(request, "desk/partials/notice.html", err.status,
                           message=err.message)
        response.headers.update({"HX-Retarget": "#notice", "HX-Reswap": "innerHTML"})
        return response
    return _render(request, "desk/error.html", err.status, message=err.message,
                   user=None)


def build_templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["live_triggers"] = ", ".join(
        ["htmx:sseOpen from:body", *(f"sse:{name}" for name in HANDOFF_EVENTS)])
    return Jinja2Templates(env=env)


def install_desk(app: FastAPI) -> None:
    """Add the desk's routes, error pages and `/static` (htmx, its SSE extension, CSS).
    Calling it again on the same app does nothing."""
    if getattr(app.state, "desk_templates", None) is not None:
        return
    app.state.desk_templates = build_templates()
    app.state.login_throttle = LoginThrottle()
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(DeskProblem, _desk_problem)
    app.include_router(router)
    from warmline.web.desk_admin import router as admin_router  # it builds on this module

    app.include_router(admin_router)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

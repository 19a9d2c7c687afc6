"""Warmline errors to HTTP, in one place. Bodies are `{"error": {"type", "message",
"problems"?}}`; a user never sees a traceback for bad input."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from warmline.core.errors import (
    AdapterError,
    AuthError,
    Conflict,
    InvalidInput,
    NotFound,
    StaleWrite,
    TenantMismatch,
    WarmlineError,
)
from warmline.web.auth import Forbidden
from warmline.web.ratelimit import RateLimited

log = logging.getLogger(__name__)

#: Seconds a client should wait before retrying after a 503 (a database restart takes a few).
RETRY_AFTER_SECONDS = 1

#: Database failures that mean "down or overloaded, try again", whichever layer they escape
#: from: lost or refused connections, a closed connection, no free pool slot in time.
DATABASE_UNAVAILABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError,
                        sa_exc.DisconnectionError)


class PayloadTooLarge(WarmlineError):
    """A request over a size limit (body, turns per request, turn text)."""


def error_body(kind: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"type": kind, "message": message, **extra}}


def _status(err: WarmlineError) -> tuple[int, str]:
    if isinstance(err, RateLimited):
        return 429, "rate_limited"
    if isinstance(err, PayloadTooLarge):
        return 413, "payload_too_large"
    if isinstance(err, InvalidInput):
        return 422, "invalid_input"
    if isinstance(err, NotFound | TenantMismatch):
        return 404, "not_found"
    if isinstance(err, StaleWrite):
        return 412, "stale_write"
    if isinstance(err, Conflict):
        return 409, "conflict"
    if isinstance(err, Forbidden):  # a CSRF miss, or a role that may not do this
        return 403, "forbidden"
    if isinstance(err, AuthError):
        return 401, "unauthorized"
    if isinstance(err, AdapterError) and isinstance(err.__cause__, sa_exc.DataError):
        return 422, "invalid_input"  # a value the database refused: the client's, not an outage
    if isinstance(err, AdapterError):
        return (503 if err.retryable else 502), "unavailable"
    return 400, "bad_request"


def error_parts(err: WarmlineError, where: str = "") -> tuple[int, dict[str, object],
                                                               dict[str, str]]:
    """Status, JSON body and headers for `err` (`where`, e.g. "POST /v1/...", for the log)."""
    status, kind = _status(err)
    extra: dict[str, object] = {}
    if isinstance(err, InvalidInput):
        extra["problems"] = [
            {k: v for k, v in (("path", p.path), ("message", p.message), ("line", p.line),
                               ("column", p.column), ("rule", p.rule)) if v is not None}
            for p in err.problems]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        log.warning("%s: 503 %s", where, err)
    if isinstance(err, RateLimited):
        headers["Retry-After"] = str(max(1, round(err.retry_after)))
    message = str(err) if not isinstance(err, InvalidInput) else "the request is invalid"
    if status == 422 and isinstance(err.__cause__, sa_exc.DataError):
        orig = err.__cause__.orig
        message = f"a value cannot be stored: {str(orig).strip().splitlines()[0]}"
    return status, error_body(kind, message, **extra), headers


def database_unavailable(err: Exception) -> AdapterError:
    """A database error no adapter translated, as the same retryable error as theirs."""
    orig = getattr(err, "orig", None) or err
    first = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return AdapterError(f"the database is unavailable: {first}", retryable=True)


async def _warmline_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, WarmlineError)
    status, body, headers = error_parts(err, f"{request.method} {request.url.path}")
    return JSONResponse(body, status_code=status, headers=headers)


async def _validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = [{"path": "$." + ".".join(str(p) for p in e["loc"][1:]) if len(e["loc"]) > 1
                 else "$", "message": e["msg"]} for e in err.errors()]
    return JSONResponse(error_body("invalid_input", "the request is invalid",
                                   problems=problems), status_code=422)


async def _database_error(request: Request, err: Exception) -> JSONResponse:
    """A database error that no adapter translated: the same retryable 503 as theirs."""
    return await _warmline_error(request, database_unavailable(err))


_HTTP_KINDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large"}


async def _http_error(request: Request, err: Exception) -> JSONResponse:
    """Starlette's own errors (no route, a body FastAPI could not parse) in our shape."""
    assert isinstance(err, HTTPException)
    message = err.detail if isinstance(err.detail, str) else "the request failed"
    if err.status_code == 400 and "parsing the body" in message:
        message = "the body is not valid JSON (or nests too deeply, or is not UTF-8)"
    return JSONResponse(error_body(_HTTP_KINDS.get(err.status_code, "error"), message),
                        status_code=err.status_code, headers=err.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WarmlineError, _warmline_error)
    app.add_exception_handler(HTTPException, _http_error)
    for kind in DATABASE_UNAVAILABLE:
        app.add_exception_handler(kind, _database_error)
    app.add_exception_handler(RequestValidationError, _validation_error)

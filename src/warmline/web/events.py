"""`GET /v1/events`: server-sent events for the desk and integrations. Each stream reads the
tenant's event log from the store — so every worker process sees every event — and wakes
at once when this process commits one (other processes are seen within the poll interval).
Event ids are shown as tenant-bound opaque tokens (`warmline.web.event_ids`); each API key
and desk user holds at most `max_event_streams` streams per worker (`stream_slots`)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from warmline.bootstrap import Services
from warmline.core.errors import InvalidInput, Problem
from warmline.service.ports import Event
from warmline.web.auth import RECHECK_SECONDS, ServicesDep, TenantDep, still_authorized
from warmline.web.event_ids import EventIds
from warmline.web.hot_path import runs_inline
from warmline.web.schemas import ERROR_RESPONSES
from warmline.web.stream_slots import StreamSlots

T = TypeVar("T")
router = APIRouter()
log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
"""How often a stream re-reads the event log when nothing woke it (no LISTEN available)."""
LISTEN_POLL_SECONDS = 5.0
"""The same, when PostgreSQL LISTEN wakes streams on every commit of any worker."""
HEARTBEAT_SECONDS = 15.0


class Notifier:
    """Wakes this process's event streams after a commit (here, or — through PostgreSQL
    LISTEN — in any worker). A generation count makes it race-free: a stream that read
    nothing waits only if no wake happened since it started reading."""

    def __init__(self) -> None:
        self.generation = 0
        self._event: asyncio.Event | None = None

    def _current(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def wake(self) -> None:
        self.generation += 1
        event, self._event = self._current(), asyncio.Event()
        event.set()  # wakes every stream waiting on the old event

    async def wait(self, timeout: float, seen: int) -> None:
        if self.generation != seen:
            return
        try:
            await asyncio.wait_for(self._current().wait(), timeout)
        except TimeoutError:
            return


def resume_from(after: str | None, last_event_id: str | None, tenant_id: str,
                ids: EventIds) -> int | None:
    """Where a stream resumes: `?after=` (an event id this tenant was shown, or 0 for the
    start of its log), else `Last-Event-ID`, else None (now). A `Last-Event-ID` that is no
    id of this tenant's (e.g. from before a secret change) starts from now, as a browser
    cannot be told; a bad `?after=` is a 422."""
    if after is not None:
        if after == "0":
            return 0
        found = ids.read(tenant_id, after)
        if found is None:
            raise InvalidInput([Problem(
                "not an event id of this tenant's stream: send the `id:` of an event it "
                "showed, or 0 for the start", path="after")])
        return found
    return ids.read(tenant_id, last_event_id) if last_event_id else None


def stream_client(request: Request) -> tuple[str, str]:
    """Who holds a stream, for its slot: an API key (as authenticated: the stripped key's
    hash) or a desk user; and how the 429 names them."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return "key:" + hashlib.sha256(key.strip().encode()).hexdigest(), "this API key"
    session = request.scope.get("session") or {}
    return f"user:{session.get('tenant_id')}:{session.get('user_id')}", "this desk user"


class _SlotStream(StreamingResponse):
    """A stream that gives its slot back however it ends (done, disconnected, failed)."""

    def __init__(self, content: AsyncIterator[str], slots: StreamSlots, identity: str,
                 headers: dict[str, str]) -> None:
        super().__init__(content, media_type="text/event-stream", headers=headers)
        self._slots, self._identity = slots, identity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._slots.give_back(self._identity)


@router.get("/v1/events", summary="Server-sent events (handoff.*, turn.appended, rep.updated)",
            response_class=StreamingResponse, responses={
                **ERROR_RESPONSES, 200: {"description": "An endless `text/event-stream`: "
                                         "`id:`, `event:` and a JSON `data:` line per event",
                                         "content": {"text/event-stream": {
                                             "schema": {"type": "string"}}}}})
async def events(request: Request, tenant: TenantDep, svc: ServicesDep,
                 after: str | None = None) -> StreamingResponse:
    ids: EventIds = request.app.state.event_ids
    start = resume_from(after, request.headers.get("last-event-id"), tenant.id, ids)
    if start is None:  # a new listener starts from now, not from the beginning of time
        recent = await _store_call(svc, _latest_id, svc, tenant.id)
        start = recent
    notifier: Notifier = request.app.state.notifier
    slots: StreamSlots = request.app.state.stream_slots
    identity, who = stream_client(request)

    opened = svc.clock.now()

    async def stream() -> AsyncIterator[str]:
        cursor = start
        idle = 0.0
        yield "retry: 1000\n\n"
        poll = request.app.state.poll_seconds
        checked = time.monotonic()
        while not await request.is_disconnected():
            if time.monotonic() - checked >= RECHECK_SECONDS:  # a revoked key, a logout
                if not await still_authorized(request):
                    return
                checked = time.monotonic()
            seen = notifier.generation
            batch = await _store_call(svc, _read, svc, tenant.id, cursor)
            for event in batch:
                cursor = event.id
                data = json.dumps({"type": event.type, **event.payload,
                                   "at": event.created_at.isoformat()})
                shown = ids.show(tenant.id, event.id)
                yield f"id: {shown}\nevent: {event.type}\ndata: {data}\n\n"
            if any(event.type == "handoff.created" for event in batch):
                await _store_call(svc, _record_deliveries, svc, tenant.id, batch, opened)
            if batch:
                idle = 0.0
                continue
            await notifier.wait(poll, seen)
            idle += poll
            if idle >= HEARTBEAT_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"

    slots.take(identity, who)  # given back by _SlotStream, however the stream ends
    return _SlotStream(stream(), slots, identity,
                       {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


async def _store_call(svc: Services, fn: Callable[..., T], *args: object) -> T:
    """Run a short store call for a stream: on the event loop for SQLite and the memory
    store (sub-millisecond, and turns already run there), in a worker thread for
    PostgreSQL. Behind a busy loop a worker thread waits for the GIL at each of its
    statements: at 1,000 turns/s on one SQLite worker that hop made up most of the notify
    latency (docs/scaling.md, session 7)."""
    if runs_inline(svc):
        return fn(*args)
    return await run_in_threadpool(fn, *args)


def _record_deliveries(svc: Services, tenant_id: str, served: list[Event],
                       opened: datetime) -> None:
    """Notify latency (`service.deliveries`): best effort, a failed write never ends a
    stream."""
    try:
        svc.metrics.deliveries.record(tenant_id, served, opened)
    except Exception:  # e.g. the database is restarting: lose one sample, keep streaming
        log.warning("could not record a notify latency", exc_info=True)


def _read(svc: Services, tenant_id: str, cursor: int) -> list[Event]:
    with svc.store.read() as tx:
        return list(tx.events_after(tenant_id, cursor, 100))


def _latest_id(svc: Services, tenant_id: str) -> int:
    with svc.store.read() as tx:
        return tx.latest_event_id(tenant_id)

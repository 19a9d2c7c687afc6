"""The hot path, served lean: `POST /v1/conversations/{id}/turns` with an API key is answered
here, before FastAPI's middleware, routing and dependency machinery, which cost more than
the turn itself (docs/scaling.md). Same contract as the FastAPI route in `api.py` (which stays
for the OpenAPI schema and for desk-session callers): the same checks in the same order, the
same error bodies. Anything this path does not own — another route, no bearer key, a path
FastAPI would refuse — falls through to the full app unchanged.

A turn that only stores and decides — nearly all — runs on the event loop through the
store's lean turn path (`TurnService.post_turns_async`): the bare `sqlite3` connection on
SQLite, psycopg's async connections on PostgreSQL (two round trips). One that escalates, or
joins an escalated conversation, goes the full way through `TurnService.post_turns` (on the
loop on SQLite and in memory, in a worker thread on PostgreSQL), where routing, handoffs and
events are written in the same transaction."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import anyio.to_thread

from warmline.bootstrap import Services
from warmline.core.errors import InvalidInput, Problem, WarmlineError
from warmline.core.handoff import Tenant
from warmline.web.api import check_sizes, parse_json_body
from warmline.web.auth import bearer_key, key_tenant
from warmline.web.errors import (
    DATABASE_UNAVAILABLE,
    PayloadTooLarge,
    database_unavailable,
    error_parts,
)
from warmline.web.schemas import MAX_CONVERSATION_ID

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: Turns in flight per worker on PostgreSQL. More threads mostly fight over the GIL each
#: time a round trip returns: at 1,000 turns/s on 2 cores, 10 in flight cost the server
#: 1.30 ms of CPU per turn (752 turns/s achieved), 3 cost 1.02 ms (897/s); 1-2 leave
#: PostgreSQL's round trips unoverlapped (679 / 837 turns/s). docs/scaling.md.
TURNS_IN_FLIGHT = 3

_TURNS = re.compile(r"/v1/conversations/([^/\x00-\x1f\x7f]+)/turns")
_JSON = [(b"content-type", b"application/json")]


def runs_inline(services: Services) -> bool:
    """Whether turns run on the event loop: yes unless the store talks to a server."""
    engine = getattr(services.store, "engine", None)
    return engine is None or engine.dialect.name == "sqlite"


class HotPath:
    """Serves the turns route for API-key callers; `owns(scope)` says whether it will."""

    def __init__(self, services: Services, state: Any) -> None:
        self.services = services
        self.state = state
        self.inline = runs_inline(services)
        self._limiter: anyio.CapacityLimiter | None = None

    def owns(self, scope: Scope) -> str | None:
        """The conversation id when this request is ours to serve, else None."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        match = _TURNS.fullmatch(scope["path"])
        if match is None or len(match.group(1)) > MAX_CONVERSATION_ID:
            return None  # FastAPI answers with its located 404 / 422
        for name, value in scope["headers"]:
            if name == b"authorization":
                bearer = value[:7].lower() == b"bearer " and value[7:].strip()
                return match.group(1) if bearer else None
        return None  # a desk session: the full app checks its cookie and CSRF token

    async def serve(self, conversation_id: str, scope: Scope, receive: Receive,
                    send: Send) -> None:
        where = f"POST {scope['path']}"
        headers: dict[str, str] = {}
        try:
            status, body = 200, await self._turns(conversation_id, scope, receive)
        except WarmlineError as err:
            status, payload, headers = error_parts(err, where)
            body = _dumps(payload)
        except DATABASE_UNAVAILABLE as err:
            status, payload, headers = error_parts(database_unavailable(err), where)
            body = _dumps(payload)
        raw = [*_JSON, (b"content-length", str(len(body)).encode())]
        raw.extend((k.lower().encode(), v.encode()) for k, v in headers.items())
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    async def _turns(self, conversation_id: str, scope: Scope, receive: Receive) -> bytes:
        svc = self.services
        tenant = await self._tenant(scope)
        data = parse_json_body(await self._body(scope, receive))
        if not isinstance(data, dict):
            raise InvalidInput([Problem("expected an object with `turns`", path="$")])
        check_sizes(data, svc)
        result = None
        if svc.fast_turns is not None:  # None: this turn escalates, or its conversation has
            result = await svc.turns.post_turns_async(tenant, conversation_id, data,
                                                      svc.fast_turns)
        if result is None and self.inline:
            result = svc.turns.post_turns(tenant, conversation_id, data)
        elif result is None:
            result = await anyio.to_thread.run_sync(
                svc.turns.post_turns, tenant, conversation_id, data, limiter=self._threads())
        if "handoff_id" in result:  # only then did the turn write events for desk streams
            self.state.notifier.wake()
        return _dumps(result)

    def _threads(self) -> anyio.CapacityLimiter:
        """At most `TURNS_IN_FLIGHT` turns in worker threads (and never more than the pool
        has connections, or overflow connections open and close all the time)."""
        if self._limiter is None:
            pool = getattr(getattr(self.services.store, "engine", None), "pool", None)
            size = pool.size() if pool is not None and hasattr(pool, "size") else 10
            self._limiter = anyio.CapacityLimiter(max(1, min(size, TURNS_IN_FLIGHT)))
        return self._limiter

    async def _tenant(self, scope: Scope) -> Tenant:
        header = next(v for k, v in scope["headers"] if k == b"authorization")
        key = bearer_key(header.decode("latin-1")) or ""  # `owns` saw a non-empty key
        return await key_tenant(key, self.services, self.state.rate_limiter)

    async def _body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.services.settings.max_body_bytes
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                raise PayloadTooLarge(f"the body is {value.decode()} bytes; the limit is "
                                      f"{limit}")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise InvalidInput([Problem("the client went away mid-body", path="$")])
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the body is over {limit} bytes; the limit is {limit}")
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()

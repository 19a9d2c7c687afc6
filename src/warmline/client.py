"""A small client for Warmline's HTTP API, for any agent (LiveKit, Pipecat, a home-grown bot):

    from warmline.client import Client

    with Client("http://127.0.0.1:8000", api_key="wl_...") as warmline:
        decision = warmline.post_turns("call-42", [
            {"id": "t1", "speaker": "customer", "text": "I want to cancel",
             "at": "2026-11-24T10:00:00-06:00"}])
        if decision["action"] != "continue":
            transfer(decision["destination"], whisper=decision["brief"]["whisper"])

`AsyncClient` has the same methods as coroutines. Errors come back as `WarmlineAPIError` with
the HTTP status, the error type and every located problem the server reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx2 as httpx

from warmline.core.errors import WarmlineError

__all__ = ["AsyncClient", "Client", "WarmlineAPIError"]
DEFAULT_TIMEOUT = 5.0


class WarmlineAPIError(WarmlineError):
    """The server answered with an error (4xx/5xx)."""

    def __init__(self, status: int, kind: str, message: str,
                 problems: Sequence[Mapping[str, Any]] = ()) -> None:
        located = "; ".join(f"{p.get('path', '$')}: {p.get('message')}" for p in problems)
        super().__init__(f"{status} {kind}: {message}" + (f" ({located})" if located else ""))
        self.status = status
        self.kind = kind
        self.problems = list(problems)

    @property
    def retryable(self) -> bool:
        return self.status in (429, 502, 503, 504)


def _raise_for(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json()
    try:
        error = response.json().get("error", {})
    except ValueError:
        error = {}
    raise WarmlineAPIError(response.status_code, str(error.get("type", "error")),
                           str(error.get("message", response.text[:200])),
                           error.get("problems", ()))


def _turns_body(turns: Sequence[Mapping[str, Any]], customer: Mapping[str, Any] | None,
                channel: str | None, started_at: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"turns": [dict(t) for t in turns]}
    for key, value in (("customer", customer), ("channel", channel),
                       ("started_at", started_at)):
        if value is not None:
            body[key] = dict(value) if isinstance(value, Mapping) else value
    return body


class Client:
    """Synchronous client. Use it as a context manager, or call `close()`."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout,
                                  transport=transport,
                                  headers={"Authorization": f"Bearer {api_key}"})

    def post_turns(self, conversation_id: str, turns: Sequence[Mapping[str, Any]], *,
                   customer: Mapping[str, Any] | None = None, channel: str | None = None,
                   started_at: str | None = None) -> dict[str, Any]:
        """Append turns and get the decision (with `handoff_id` when it escalates)."""
        body = _turns_body(turns, customer, channel, started_at)
        result: dict[str, Any] = _raise_for(self._http.post(
            f"/v1/conversations/{conversation_id}/turns", json=body))
        return result

    def decide(self, conversation: Mapping[str, Any]) -> dict[str, Any]:
        """Decide a whole SPEC §1 conversation; nothing is stored."""
        result: dict[str, Any] = _raise_for(self._http.post("/v1/decide", json=dict(
            conversation)))
        return result

    def handoff(self, handoff_id: str) -> dict[str, Any]:
        result: dict[str, Any] = _raise_for(self._http.get(f"/v1/handoffs/{handoff_id}"))
        return result

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class AsyncClient:
    """The same calls for asyncio agents (LiveKit Agents, Pipecat)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = DEFAULT_TIMEOUT,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout,
                                       transport=transport,
                                       headers={"Authorization": f"Bearer {api_key}"})

    async def post_turns(self, conversation_id: str, turns: Sequence[Mapping[str, Any]], *,
                         customer: Mapping[str, Any] | None = None, channel: str | None = None,
                         started_at: str | None = None) -> dict[str, Any]:
        body = _turns_body(turns, customer, channel, started_at)
        response = await self._http.post(f"/v1/conversations/{conversation_id}/turns",
                                         json=body)
        result: dict[str, Any] = _raise_for(response)
        return result

    async def decide(self, conversation: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = _raise_for(await self._http.post("/v1/decide",
                                                                  json=dict(conversation)))
        return result

    async def handoff(self, handoff_id: str) -> dict[str, Any]:
        result: dict[str, Any] = _raise_for(await self._http.get(f"/v1/handoffs/{handoff_id}"))
        return result

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, err: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

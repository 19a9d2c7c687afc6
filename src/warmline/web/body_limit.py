"""`BodyLimit`: an ASGI middleware that bounds request bodies under some path prefixes as they
arrive, whoever reads them and however (declared or chunked): a webhook's signature can only
be checked on the whole body, so without a bound an unsigned 300 MB body was read into memory
before its 401. Past the limit the request ends in a 413 and nothing more is read."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warmline.web.errors import PayloadTooLarge, error_parts


class BodyLimit:
    """413 for a body under `prefixes` over `limit` bytes: at once when Content-Length says
    so, else as soon as the bytes received pass the limit (the route reading the body gets
    `PayloadTooLarge`, which the error handlers answer)."""

    def __init__(self, app: ASGIApp, *, limit: int, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.limit = limit
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _refuse(send, PayloadTooLarge(
                f"the body is {declared} bytes; the limit is {self.limit}"))
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise PayloadTooLarge(f"the body is over {self.limit} bytes; the limit "
                                          f"is {self.limit}")
            return message

        await self.app(scope, bounded, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


async def _refuse(send: Send, err: PayloadTooLarge) -> None:
    status, body, headers = error_parts(err)
    raw = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
        (b"connection", b"close"),
        *((k.lower().encode(), v.encode()) for k, v in headers.items())]})
    await send({"type": "http.response.body", "body": raw})

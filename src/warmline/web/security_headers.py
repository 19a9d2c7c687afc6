"""`SecurityHeaders`: an ASGI middleware that gives every answer `X-Content-Type-Options:
nosniff` and a `Referrer-Policy`, and every HTML page a Content-Security-Policy that allows
only this server's own scripts and styles (no inline script, no eval, no CDN) and no framing.
The API reference (`/docs`) is such a page too: Swagger UI is served from the package and
started by a file, not an inline script."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The desk's and the dashboard's pages: scripts, styles and SSE from this origin only.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")
#: A desk link followed to another site does not carry the desk's URL (handoff ids) along.
REFERRER_POLICY = "same-origin"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", REFERRER_POLICY.encode())]
                if _is_html(headers):
                    extra += [(b"content-security-policy", PAGE_POLICY.encode()),
                              (b"x-frame-options", b"DENY")]
                headers += [(name, value) for name, value in extra if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_html(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.lower().startswith(b"text/html")
               for name, value in headers)

"""`create_app(services)`: the ASGI app — API, events, desk — with errors mapped in one place
and a background sweep (overflow, re-offers) while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import Receive, Scope, Send

from warmline import __version__
from warmline.adapters.storage.listener import listen_for_events, listen_url
from warmline.adapters.storage.sqlite_watch import watch_events, watches
from warmline.bootstrap import Services
from warmline.service.outbox import OutboxService
from warmline.web import admin_api, api, events, policy_api
from warmline.web.api_docs import install_api_docs
from warmline.web.body_limit import BodyLimit
from warmline.web.dashboard import install_metrics
from warmline.web.desk import install_desk
from warmline.web.errors import install_error_handlers
from warmline.web.event_ids import EventIds
from warmline.web.hot_path import HotPath
from warmline.web.integrations import install_integrations
from warmline.web.ratelimit import RateLimiter
from warmline.web.security_headers import SecurityHeaders
from warmline.web.stream_slots import StreamSlots

log = logging.getLogger(__name__)


async def _sweep_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(services.settings.sweep_seconds)
        try:
            await run_in_threadpool(services.handoffs.sweep)
        except Exception:  # the sweep must outlive a bad tick (e.g. a database restart)
            log.exception("handoff sweep failed; retrying")


async def _deliver_forever(outbox: OutboxService, seconds: float) -> None:
    """The outbox worker: webhooks and Slack messages, retried until delivered."""
    while True:
        try:
            attempted = await run_in_threadpool(outbox.deliver_due)
        except Exception:  # e.g. a database restart: the messages wait in the outbox
            log.exception("outbox delivery failed; retrying")
            attempted = 0
        if attempted < outbox.batch:  # a full batch means more are due: go on at once
            await asyncio.sleep(seconds)


class WarmlineApp(FastAPI):
    """FastAPI with the turns hot path served first (see `warmline.web.hot_path`)."""

    hot_path: HotPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.hot_path is not None and not self.dependency_overrides:
            conversation_id = self.hot_path.owns(scope)
            if conversation_id is not None:
                await self.hot_path.serve(conversation_id, scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _checkpoint_forever(checkpoint: Callable[[], None], seconds: float) -> None:
    """SQLite's WAL checkpoints in a worker thread, so no request waits for one."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(checkpoint)
        except Exception:  # e.g. the disk is full: the WAL grows, commits go on
            log.exception("WAL checkpoint failed; retrying")


#: Seconds between background WAL checkpoints on SQLite.
CHECKPOINT_SECONDS = 1.0


def create_app(services: Services, *, sweep: bool = True) -> FastAPI:
    listen = listen_url(services.store)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_sweep_forever(services))] if sweep else []
        if sweep and services.outbox is not None and services.settings.outbox_seconds > 0:
            tasks.append(asyncio.create_task(
                _deliver_forever(services.outbox, services.settings.outbox_seconds)))
        checkpoint = getattr(services.store, "checkpoint", None)
        if sweep and checkpoint is not None:
            tasks.append(asyncio.create_task(_checkpoint_forever(checkpoint,
                                                                 CHECKPOINT_SECONDS)))
        notifier: events.Notifier = app.state.notifier
        if listen is not None:
            tasks.append(asyncio.create_task(
                listen_for_events(listen, lambda _tenant: notifier.wake())))
        elif watches(services.store):
            tasks.append(asyncio.create_task(watch_events(services.store, notifier.wake)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if services.fast_turns is not None:
                await services.fast_turns.aclose()

    app = WarmlineApp(title="Warmline", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # /docs from local assets: install_api_docs
                  description="Decide when, where and how an AI agent hands a customer to a "
                              "person. See docs/api.md.")
    app.state.services = services
    app.hot_path = HotPath(services, app.state)
    app.state.notifier = events.Notifier()
    app.state.poll_seconds = events.LISTEN_POLL_SECONDS if listen else events.POLL_SECONDS
    app.state.rate_limiter = RateLimiter(services.settings.rate_limit_per_second,
                                         services.settings.rate_limit_burst)
    configured = services.settings.secret_key
    # Without WARMLINE_SECRET_KEY, a random one per start: sessions and event ids then end
    # with the process (`warmline serve --workers N` shares one among its workers).
    secret = configured.get_secret_value() if configured else secrets.token_hex(32)
    app.state.event_ids = EventIds(secret.encode())
    app.state.stream_slots = StreamSlots(services.settings.max_event_streams)
    app.add_middleware(SessionMiddleware, secret_key=secret,
                       same_site="strict", https_only=services.settings.secure_cookies,
                       session_cookie="warmline_session", max_age=12 * 3600)
    # Webhooks are read whole before their signature can be checked: bound them as they come.
    app.add_middleware(BodyLimit, limit=services.settings.max_body_bytes,
                       prefixes=("/integrations/",))
    app.add_middleware(SecurityHeaders)  # outermost: error pages get the headers too
    install_error_handlers(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(api.router)
    app.include_router(admin_api.router)
    app.include_router(policy_api.router)
    app.include_router(events.router)
    install_desk(app)
    install_api_docs(app)
    install_metrics(app)
    install_integrations(app)
    return app

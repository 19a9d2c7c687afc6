"""`/integrations/*`: one router module per platform, each speaking the platform's own
webhook format. `install_integrations` mounts every one of them."""

from __future__ import annotations

from fastapi import FastAPI


def install_integrations(app: FastAPI) -> None:
    # One line per platform module; each module exposes `router`.
    routers: list[object] = []
    for router in routers:
        app.include_router(router)  # type: ignore[arg-type]

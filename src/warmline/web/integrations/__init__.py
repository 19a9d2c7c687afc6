"""`/integrations/*`: one router module per platform, each speaking the platform's own
webhook format. `install_integrations` mounts every one of them."""

from __future__ import annotations

from fastapi import FastAPI


def install_integrations(app: FastAPI) -> None:
    # One line per platform module; each module exposes `router`.
    from warmline.web.integrations import generic as generic_routes
    from warmline.web.integrations import retell as retell_routes
    from warmline.web.integrations import twilio as twilio_routes
    from warmline.web.integrations import vapi as vapi_routes

    routers: list[object] = []
    routers.append(vapi_routes.router)
    routers.append(generic_routes.router)
    routers.append(retell_routes.router)
    routers.append(twilio_routes.router)
    for router in routers:
        app.include_router(router)  # type: ignore[arg-type]

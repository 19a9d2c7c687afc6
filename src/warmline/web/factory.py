"""`create_app_from_env`: the app built from `WARMLINE_*` variables, for servers that import
an app factory by name (uvicorn with several workers, gunicorn)."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.web.app import create_app


def create_app_from_env() -> FastAPI:
    app = create_app(build_services(Settings()))
    settle_heap()
    return app


def settle_heap() -> None:
    """For a serving process, once its app is built: move everything made at start-up
    (policies, intent models, routes: ~145,000 objects) out of the cyclic garbage
    collector's reach. Otherwise each full collection walks them all, stalling the event
    loop ~75 ms on a fast machine (docs/scaling.md, session 6). Garbage made later is
    collected as usual; what was frozen stays for the process's life, which is why tests
    that build many apps don't call this."""
    gc.collect()
    gc.freeze()

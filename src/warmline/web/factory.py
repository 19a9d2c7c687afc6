"""`create_app_from_env`: the app built from `WARMLINE_*` variables, for servers that import
an app factory by name (uvicorn with several workers, gunicorn)."""

from __future__ import annotations

from fastapi import FastAPI

from warmline.bootstrap import build_services
from warmline.config import Settings
from warmline.web.app import create_app


def create_app_from_env() -> FastAPI:
    return create_app(build_services(Settings()))

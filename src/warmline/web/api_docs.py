"""`/docs`: Swagger UI served from the package's own `/static/swagger-ui/` (vendored, see
static/VENDORED.md), so the API reference renders without reaching a CDN. The page has no
inline script: `init.js` starts Swagger UI with the spec URL read from the page."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

ASSETS = "/static/swagger-ui"


def docs_page(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(title)}</title>
<link rel="icon" type="image/png" href="{ASSETS}/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/init.js"></script>
</body>
</html>
"""


def install_api_docs(app: FastAPI) -> None:
    """Add `/docs` (create the app with `docs_url=None`; `/static` is the desk's mount)."""
    page = docs_page(f"{app.title} - API reference", app.openapi_url or "/openapi.json")

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(page)

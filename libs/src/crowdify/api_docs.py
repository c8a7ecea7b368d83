"""Interactive API docs (Swagger UI at ``/docs``, ReDoc at ``/redoc``) whose scripts, styles and
icon are served by the app itself, so they render with no internet: a venue's closed network, a
laptop offline. FastAPI's own pages load them from public CDNs.

The assets come from the ``fastapi-offline`` package (Swagger UI and ReDoc's standalone bundle, kept
current by its maintainers); only its files are used, under ``/docs/assets/``.
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_PATH = "/docs/assets"
ASSETS_DIRECTORY = str(files("fastapi_offline") / "static")


def install_api_docs(app: FastAPI, *, openapi_url: str, title: str) -> None:
    """Serve ``/docs`` and ``/redoc`` for the document at ``openapi_url``, assets included.

    The app must be created with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIRECTORY), name="api-docs-assets")
    favicon = f"{ASSETS_PATH}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title}: Swagger UI",
            swagger_js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=favicon,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title}: ReDoc",
            redoc_js_url=f"{ASSETS_PATH}/redoc.standalone.js",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )

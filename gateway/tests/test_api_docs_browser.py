"""``/docs`` (Swagger UI) and ``/redoc`` through the edge render the combined API in a real browser
(Debian's Chromium) with every request kept on this machine: the pages work with no internet.

Behind a private nginx and the real verifier app, each service is stood in for by a server of its
committed OpenAPI document, so the pages show the public API as it is. Screenshots are written to
``.run/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Route, async_playwright
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route as HttpRoute

from crowdify.testing.server import free_port, serving
from crowdify_gateway.app import create_app
from crowdify_gateway.testing import nginx_available, running_nginx
from crowdify_tools.openapi import SERVICES, committed_document, committed_operations

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / ".run" / "screenshots"
REDOC_ATTRIBUTION_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags that keep a root, headless Chromium from reaching out to hosts of its own.
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _document_server(document: dict[str, Any]) -> Starlette:
    async def openapi(_: Any) -> JSONResponse:
        return JSONResponse(document)

    async def ready(_: Any) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    return Starlette(routes=[HttpRoute("/openapi.json", openapi), HttpRoute("/ready", ready)])


@pytest.fixture
def docs_edge(gateway_settings: Any, nginx_prefix: Any) -> Iterator[str]:
    """A private edge whose services answer with their committed OpenAPI documents."""
    if not nginx_available():
        pytest.fail("nginx is not installed: run make bootstrap")
    assert Path(CHROMIUM).exists(), "Chromium is not installed: run make bootstrap"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = nginx_prefix()
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(serving(_document_server(committed_document(name)), lifespan="off"))
            for name in SERVICES
        }
        verifier_port = free_port()
        settings = gateway_settings(
            GATEWAY_LISTEN=f"127.0.0.1:{free_port()}",
            GATEWAY_VERIFIER_PORT=verifier_port,
            GATEWAY_SERVICES=",".join(f"{name}={url}" for name, url in urls.items()),
            GATEWAY_RUN_DIR=str(prefix),
        )
        stack.enter_context(serving(create_app(settings), port=verifier_port))
        yield stack.enter_context(running_nginx(settings, prefix))


class LocalOnly:
    """Lets the page reach this machine only, and remembers what it tried beyond it."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    async def __call__(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            self.refused.append(route.request.url)
            await route.abort()


async def _open(page: Page, url: str) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = await page.goto(url)
    assert response is not None and response.status == 200
    return errors


async def test_swagger_ui_and_redoc_render_the_whole_api_offline(docs_edge: str) -> None:
    expected = {(op.method, op.path) for op in committed_operations()}
    local_only = LocalOnly()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            await context.route("**/*", local_only)

            swagger = await context.new_page()
            errors = await _open(swagger, f"{docs_edge}/docs")
            await swagger.wait_for_load_state("networkidle")
            await swagger.wait_for_selector(".opblock-summary-path", timeout=30_000)
            blocks = swagger.locator(".opblock")
            methods = await blocks.locator(".opblock-summary-method").all_inner_texts()
            paths = await blocks.locator(".opblock-summary-path").all_inner_texts()
            # Swagger UI puts zero-width spaces in long paths so they can wrap.
            paths = [p.replace("\u200b", "").strip() for p in paths]
            shown = {(m.strip(), p) for m, p in zip(methods, paths, strict=True)}
            assert shown == expected
            await swagger.screenshot(path=SCREENSHOTS / "gateway-docs.png")
            assert errors == []
            assert local_only.refused == []

            redoc = await context.new_page()
            errors = await _open(redoc, f"{docs_edge}/redoc")
            heading = redoc.get_by_role("heading", name="Place an order", exact=False).first
            await heading.wait_for(timeout=30_000)
            await redoc.screenshot(path=SCREENSHOTS / "gateway-redoc.png")
            assert await redoc.locator("h1").first.inner_text() == "Crowdify API (v1)"
            assert errors == []
        finally:
            await browser.close()
    # Everything the pages need came from the edge; the one thing tried beyond it is ReDoc's
    # attribution logo, which its bundle hides when it cannot load.
    assert set(local_only.refused) <= {REDOC_ATTRIBUTION_LOGO}

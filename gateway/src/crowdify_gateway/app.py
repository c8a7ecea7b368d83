"""The gateway's Python side: nginx's token verifier, the platform's /ready and the combined docs
(``/docs`` and ``/redoc``, their assets served here).

It listens on ``GATEWAY_VERIFIER_HOST:GATEWAY_VERIFIER_PORT`` (127.0.0.1:8010) and is reached
only through nginx. Run it with ``python -m crowdify_gateway.app``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.routing import Route

from crowdify.api_docs import install_api_docs
from crowdify.auth import TokenVerifier
from crowdify.heap import freeze_after_startup
from crowdify.observability import FASTAPI_TELEMETRY_OFF
from crowdify_gateway.docs import combined_openapi
from crowdify_gateway.ready import aggregate
from crowdify_gateway.settings import GatewaySettings
from crowdify_gateway.verify import make_verify_endpoint


def _verifier(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    services = settings.services

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        async with httpx.AsyncClient(limits=limits, timeout=5.0) as client:
            verifier = TokenVerifier(settings, http_client=client)
            app.state.http = client
            app.state.token_verifier = verifier
            freeze_after_startup(settings.gc_freeze_after_startup)
            try:
                yield
            finally:
                await verifier.aclose()

    app = FastAPI(
        title="Crowdify gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    # A bare Starlette route: this is on the path of every authenticated request, so it skips
    # FastAPI's dependency and validation layers.
    app.router.routes.append(
        Route(
            "/verify",
            make_verify_endpoint(
                _verifier,
                allow_cache_seconds=settings.auth_cache_seconds,
                deny_cache_seconds=settings.auth_deny_cache_seconds,
            ),
            methods=["GET"],
        )
    )

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        status, body = await aggregate(request.app.state.http, services, settings.ready_timeout_seconds)
        return JSONResponse(body, status_code=status)

    @app.get("/openapi.json")
    async def openapi(request: Request) -> dict[str, Any]:
        return await combined_openapi(request.app.state.http, services, settings.ready_timeout_seconds * 2)

    install_api_docs(app, openapi_url="/openapi.json", title="Crowdify API")

    return app


def main() -> None:
    settings = GatewaySettings()
    uvicorn.run(
        "crowdify_gateway.app:create_app",
        factory=True,
        host=settings.verifier_host,
        port=settings.verifier_port,
        # Above nginx's upstream keepalive_timeout, so nginx closes idle connections first and
        # never writes into one uvicorn already closed.
        timeout_keep_alive=settings.upstream_keepalive_timeout + 15,
        access_log=False,  # nginx logs every request, with its request id
        log_level=settings.log_level.lower(),
        server_header=False,
    )


if __name__ == "__main__":
    main()

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
from starlette.types import Receive, Scope, Send

from crowdify.api_docs import install_api_docs
from crowdify.auth import TokenVerifier
from crowdify.heap import freeze_after_startup
from crowdify.observability import FASTAPI_TELEMETRY_OFF
from crowdify_gateway.docs import combined_openapi
from crowdify_gateway.ready import aggregate
from crowdify_gateway.settings import GatewaySettings
from crowdify_gateway.verify import VerifyEndpoint


class GatewayApp(FastAPI):
    """The verifier's app: ``/verify`` is answered before FastAPI's stack (``VerifyEndpoint``),
    everything else by the app."""

    verify_endpoint: VerifyEndpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/verify":
            await self.verify_endpoint(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: GatewaySettings | None = None) -> GatewayApp:
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

    app = GatewayApp(
        title="Crowdify gateway",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )

    def verifier() -> TokenVerifier:
        token_verifier: TokenVerifier = app.state.token_verifier
        return token_verifier

    # On the path of every authenticated request the edge has no verdict for: outside FastAPI.
    app.verify_endpoint = VerifyEndpoint(
        verifier,
        allow_cache_seconds=settings.auth_cache_seconds,
        deny_cache_seconds=settings.auth_deny_cache_seconds,
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
        # Only nginx calls it, and nothing here reads the client's address or the Date header.
        proxy_headers=False,
        server_header=False,
        date_header=False,
    )


if __name__ == "__main__":
    main()

"""The scan route's own lane through the app: the request goes from the outermost middleware
straight to the endpoint.

A scan is the door's one hot request. Through the whole app it passes routing over every route,
FastAPI's request wrapper and exit stack, the exception, idempotency and CORS layers: about a
fifth of validation-api's CPU per scan, more than the endpoint's own Python. This lane keeps what
a scan needs from them, each from the same code as the rest of the API: request and correlation
ids, the latency metric and the sampled access log (``RequestContextMiddleware``), the CORS rules
(``cors_options``) and problem+json answers from the app's own exception handlers. The route stays
declared on the router, so the OpenAPI document is unchanged.
"""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crowdify.observability.middleware import RequestContextMiddleware
from validation_svc.api.door import router, scan

SCAN_PATH = "/api/v1/validation/scan"


async def _handled(request: Request, exc: Exception) -> Response:
    """``exc`` answered by the app's exception handler for it, as the full stack would."""
    handlers = request.app.exception_handlers
    for kind in type(exc).__mro__:
        if kind in handlers:
            response: Response = await handlers[kind](request, exc)
            return response
    raise exc


class DoorLane:
    """Middleware (outermost): ``POST`` scans take the lane, everything else the whole app."""

    def __init__(self, app: ASGIApp, *, cors: dict[str, Any], access_log_sample: float) -> None:
        self.app = app
        self.route = next(r for r in router.routes if isinstance(r, APIRoute) and r.path == SCAN_PATH)
        self.lane = RequestContextMiddleware(CORSMiddleware(self._scan, **cors), access_log_sample)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SCAN_PATH and scope["method"] == "POST":
            await self.lane(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _scan(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route  # the metric's and the access log's route template
        request = Request(scope, receive)
        try:
            response = await scan(request)
        except Exception as exc:  # every error, answered by the app's own handlers
            response = await _handled(request, exc)
        await response(scope, receive, send)

"""A hot route's own lane through a service's app: its requests go from the outermost of the
app's middleware straight to the endpoint.

Through the whole app a request passes routing over every route, FastAPI's request wrapper,
exit stack and dependency solving, and the exception, idempotency and CORS layers. For the
requests a rush is made of (the door's scan, the on-sale's order) that is a fifth or more of
their API's CPU, more than the endpoint's own Python. A lane keeps what the route needs from
those layers, each from the same code as the rest of the API: the ones the service wraps around
the endpoint (request and correlation ids, the latency metric and the access log, CORS,
idempotency), and problem+json answers from the app's own exception handlers. The route stays
declared on its router, with its OpenAPI description, and its endpoint takes the
:class:`~starlette.requests.Request` itself: it reads, checks and answers on its own.

Wiring: ``create_service_app(..., lanes=[(method, path)])`` (``crowdify.runtime``), which wraps
the endpoint in the same layers as every other route and adds the lane last, outermost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from fastapi.routing import APIRoute, APIRouter
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


def declared_route(routers: Sequence[APIRouter], path: str, method: str) -> APIRoute:
    """The route one of ``routers`` declares for ``method`` on ``path`` (its full path, prefix
    included)."""
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
                return route
    raise LookupError(f"{method} {path} is not declared on the routers")


async def _handled(request: Request, exc: Exception) -> Response:
    """``exc`` answered by the app's exception handler for it, as the whole stack would."""
    handlers = request.app.exception_handlers
    for kind in type(exc).__mro__:
        if kind in handlers:
            response: Response = await handlers[kind](request, exc)
            return response
    raise exc


class RouteLane:
    """Middleware: requests for ``route`` (its method and exact path) take the lane, everything
    else the whole app. ``around`` wraps the endpoint in the layers the route needs."""

    def __init__(self, app: ASGIApp, *, route: APIRoute, around: Callable[[ASGIApp], ASGIApp]) -> None:
        self.app = app
        self.route = route
        self.methods: frozenset[str] = frozenset(route.methods or ())
        self.endpoint: Endpoint = route.endpoint
        self.lane = around(self._answer)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.route.path and scope["method"] in self.methods:
            await self.lane(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["route"] = self.route  # the metric's and the access log's route template
        request = Request(scope, receive)
        try:
            response = await self.endpoint(request)
        except Exception as exc:  # every error, answered by the app's own handlers
            response = await _handled(request, exc)
        await response(scope, receive, send)

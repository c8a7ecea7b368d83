"""RFC 9457 problem+json for every 4xx/5xx a service answers.

Raise :class:`ProblemError` (or a subclass) from anywhere below the API layer; the handlers
installed by :func:`install_problem_handlers` turn it, FastAPI's validation errors, Starlette's
HTTP errors and unexpected exceptions into ``application/problem+json`` with a stable ``code``.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://crowdify.cl/problems/"

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}

# What a client is told when a database, Redis or the broker cannot be reached (503, Retry-After).
DEPENDENCY_DOWN = "A backing service is unavailable; try again shortly"


class Problem(BaseModel):
    """RFC 9457 problem details as Crowdify answers them (for the OpenAPI documents)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a router or route: these statuses answer problem+json."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": HTTPStatus(status).phrase}
        for status in statuses
    }


class ProblemError(Exception):
    """An error with an HTTP status and a machine-readable code, shown to the client as is."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.extra = extra


class NotFound(ProblemError):
    status, code = 404, "not_found"


class Conflict(ProblemError):
    status, code = 409, "conflict"


class Unauthorized(ProblemError):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str = "Missing or invalid bearer token", **extra: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extra)


class Forbidden(ProblemError):
    status, code = 403, "forbidden"

    def __init__(self, detail: str = "Your role may not do this", **extra: Any) -> None:
        super().__init__(detail, **extra)


def problem_body(
    status: int, code: str, detail: str, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, code, detail, instance, **extra),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        fields.append({"field": ".".join(loc), "message": err.get("msg", ""), "type": err.get("type", "")})
    return fields


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error answer of ``app`` problem+json."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.code, exc.detail, instance=request.url.path, headers=exc.headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Path parameters that fail to parse (a malformed UUID) name a resource that cannot
        # exist: docs/api.md asks for 404 there, not 422.
        errors = _field_errors(exc)
        if errors and all(e["field"].startswith("path.") for e in errors):
            return problem_response(404, "not_found", "No such resource", instance=request.url.path)
        return problem_response(
            422,
            "validation_error",
            "The request has invalid fields",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_BY_STATUS.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(
            exc.status_code, code, detail, instance=request.url.path, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(DBAPIError)
    @app.exception_handler(SQLAlchemyTimeoutError)
    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(ConnectionError)
    async def _dependency_down(request: Request, exc: Exception) -> JSONResponse:
        # The database or Redis is down, restarting, or out of connections (a refused connect
        # comes through as the builtin ConnectionError): nothing the client did wrong, and trying
        # again shortly is the right move. Other database errors (a constraint the code did not
        # expect) stay 500s.
        if isinstance(exc, DBAPIError) and not (
            exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError)
        ):
            return await _unexpected(request, exc)
        log.warning(
            "a dependency is unavailable", extra={"path": request.url.path, "error": type(exc).__name__}
        )
        return problem_response(
            503,
            "service_unavailable",
            DEPENDENCY_DOWN,
            instance=request.url.path,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(
            500, "internal_error", "Something went wrong on our side", instance=request.url.path
        )

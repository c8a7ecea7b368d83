"""Mercado Pago's error body: ``{"message", "error", "status", "cause": [{code, description, data}]}``.

The SDK parses every answer as JSON (a non-JSON body raises ``MPServerError``), so even a 404 for
an unknown route or a 422 from FastAPI's own validation is rewritten into this shape.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

Cause = dict[str, Any]


def cause(code: int | str, description: str, data: Any = None) -> Cause:
    return {"code": code, "description": description, "data": data}


class MPError(Exception):
    def __init__(self, status: int, error: str, message: str, causes: list[Cause] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.causes = causes if causes is not None else []

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "error": self.error, "status": self.status, "cause": self.causes}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)


def not_found(message: str, code: int | str = "not_found", data: Any = None) -> MPError:
    return MPError(404, "not_found", message, [cause(code, message, data)])


def bad_request(message: str, error: str = "bad_request", causes: list[Cause] | None = None) -> MPError:
    return MPError(400, error, message, causes if causes is not None else [cause(error, message)])


def install_handlers(app: FastAPI) -> None:
    async def on_mp_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, MPError)
        return exc.response()

    async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        error = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
        return MPError(exc.status_code, error, str(exc.detail)).response()

    async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        causes = [
            cause("invalid_parameter", str(e.get("msg")), ".".join(map(str, e.get("loc", ()))))
            for e in exc.errors()
        ]
        return bad_request("invalid request", causes=causes).response()

    async def on_crash(_: Request, exc: Exception) -> JSONResponse:
        # Still logged by uvicorn; the client gets JSON, as from the real API.
        return MPError(500, "internal_server_error", f"{type(exc).__name__}: {exc}").response()

    app.add_exception_handler(Exception, on_crash)
    app.add_exception_handler(MPError, on_mp_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)

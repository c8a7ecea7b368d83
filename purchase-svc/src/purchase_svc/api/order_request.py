"""An order's request read by its route itself: ``POST /api/v1/purchases`` declares no parameters
to FastAPI (it takes its own lane through the app, ``crowdify.route_lane``), so its body, its
``wait`` and their checks are here, with the answers FastAPI would give: the same 422 problem,
with every invalid field named ``body.…`` or ``query.…``, from the app's own handler.

What the route's OpenAPI description says about them (:data:`ORDER_REQUEST_DOCS`) is written
from the same model and bounds, and :func:`document_order_request` puts ``OrderIn``'s schemas
in the document's components, where FastAPI would have put them.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import Message
from typing import Annotated, Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import Field, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema
from starlette.requests import Request

from crowdify.idempotency import MAX_KEY_LENGTH
from purchase_svc.api.schemas import OrderIn

WAIT_DEFAULT = 5  # seconds
_WAIT = TypeAdapter(Annotated[float, Field(ge=0, le=10)])
_REF_TEMPLATE = "#/components/schemas/{model}"


async def read_order_request(request: Request) -> tuple[OrderIn, float]:
    """The order and how long to wait for its decision, or a 422 naming every invalid field."""
    errors: list[Any] = []
    order = None
    raw_wait = request.query_params.get("wait")
    wait: float = WAIT_DEFAULT
    if raw_wait is not None:
        try:
            wait = _WAIT.validate_python(raw_wait)
        except ValidationError as exc:
            errors += [{**error, "loc": ("query", "wait", *error["loc"])} for error in exc.errors()]
    if not _is_json(request.headers.get("content-type")):
        errors.append(
            {"type": "content_type", "loc": ("body",), "msg": "The body must be JSON (application/json)"}
        )
    else:
        try:
            order = OrderIn.model_validate_json(await request.body())
        except ValidationError as exc:
            errors += [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
    if errors or order is None:
        raise RequestValidationError(errors)
    return order, wait


def _is_json(content_type: str | None) -> bool:
    """JSON as FastAPI takes it: no Content-Type, ``application/json`` or ``application/*+json``."""
    if not content_type:
        return True
    message = Message()
    message["content-type"] = content_type
    main, _, sub = message.get_content_type().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


ORDER_REQUEST_DOCS: dict[str, Any] = {
    "parameters": [
        {
            "in": "query",
            "name": "wait",
            "required": False,
            "schema": {"default": WAIT_DEFAULT, **_WAIT.json_schema(), "title": "Wait"},
        },
        {
            "in": "header",
            "name": "idempotency-key",
            "required": False,
            "schema": {
                "anyOf": [
                    {"maxLength": MAX_KEY_LENGTH, "pattern": "^[^\x00]*$", "type": "string"},
                    {"type": "null"},
                ],
                "title": "Idempotency-Key",
            },
        },
    ],
    "requestBody": {
        "content": {"application/json": {"schema": {"$ref": _REF_TEMPLATE.format(model="OrderIn")}}},
        "required": True,
    },
    "security": [{"HTTPBearer": []}],
}


def document_order_request(app: FastAPI) -> None:
    """Add ``OrderIn`` and the models it is made of to ``app``'s OpenAPI components."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _, schemas = models_json_schema([(OrderIn, "validation")], ref_template=_REF_TEMPLATE)
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components.update(schemas.get("$defs", {}))
            document["components"]["schemas"] = dict(sorted(components.items()))
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]

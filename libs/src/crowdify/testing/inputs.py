"""Find the inputs of an app that are not declared with the shared input types.

Every string a route accepts (path, query, header, cookie or anywhere in a JSON body) must be a
:data:`crowdify.inputs.Text` (or a closed set: ``Literal``, an enum, a UUID, a date), and every
integer must have both bounds. Each service's tests call :func:`unguarded_inputs` on its app, so
a field added later without them fails a test instead of becoming a 500 on odd input::

    assert unguarded_inputs(create_app(settings)) == []
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, Lt
from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute

from crowdify.inputs import TEXT_PATTERN

__all__ = ["unguarded_inputs"]


def unguarded_inputs(app: FastAPI) -> list[str]:
    """One line per string without the :data:`~crowdify.inputs.Text` check and per integer
    without a lower and an upper bound, e.g. ``"POST /api/v1/events body.name: str"``."""
    found: list[str] = []
    for route in _api_routes(app.routes):
        where = f"{'/'.join(sorted(route.methods or ()))} {route.path}"
        for field in _parameters(route.dependant):
            info = field.field_info
            found += _check(info.annotation, list(info.metadata), f"{where} {field.alias}", set())
    return sorted(set(found))


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router as one entry that points at the router it includes.
        included = getattr(route, "original_router", None)
        if isinstance(included, APIRouter):
            yield from _api_routes(included.routes)


def _parameters(dependant: Dependant) -> Iterator[Any]:
    yield from dependant.path_params
    yield from dependant.query_params
    yield from dependant.header_params
    yield from dependant.cookie_params
    yield from dependant.body_params
    for dependency in dependant.dependencies:
        yield from _parameters(dependency)


def _check(annotation: Any, metadata: list[Any], where: str, seen: set[type[BaseModel]]) -> list[str]:
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *extra = get_args(annotation)
        return _check(inner, metadata + extra, where, seen)
    if origin in (Union, types.UnionType):
        return [line for arg in get_args(annotation) for line in _check(arg, metadata, where, seen)]
    if origin in (list, set, frozenset, tuple, dict):
        return [line for arg in get_args(annotation) for line in _check(arg, [], where, seen)]
    if annotation is str:
        guarded = any(getattr(m, "pattern", None) == TEXT_PATTERN for m in metadata)
        return [] if guarded else [f"{where}: str without Text"]
    if annotation is int:
        # pydantic spreads Field(ge=..., le=...) and Interval into these single bounds.
        lower = any(isinstance(m, Ge | Gt) for m in metadata)
        upper = any(isinstance(m, Le | Lt) for m in metadata)
        return [] if lower and upper else [f"{where}: int without both bounds"]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
        seen.add(annotation)
        return [
            line
            for name, field in annotation.model_fields.items()
            for line in _check(field.annotation, list(field.metadata), f"{where}.{name}", seen)
        ]
    return []

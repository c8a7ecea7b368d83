"""Every error answer is RFC 9457 problem+json with a machine-readable code."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from sqlalchemy import text

from crowdify.db import create_engine
from crowdify.errors import Conflict, install_problem_handlers
from crowdify.testing import TestInfrastructureSettings


class Body(BaseModel):
    name: str = Field(min_length=1)
    quantity: int = Field(gt=0)


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things")
    async def create(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/things/{thing_id}")
    async def read(thing_id: UUID) -> dict[str, str]:
        raise Conflict("already taken", code="sold_out")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


async def call(method: str, url: str, **kwargs) -> httpx.Response:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, url, **kwargs)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    return body


async def test_validation_errors_list_the_bad_fields():
    body = assert_problem(
        await call("POST", "/things", json={"name": "", "quantity": 0}), 422, "validation_error"
    )
    assert {e["field"] for e in body["errors"]} == {"body.name", "body.quantity"}


async def test_a_malformed_id_in_the_path_is_404():
    assert_problem(await call("GET", "/things/not-a-uuid"), 404, "not_found")


async def test_domain_errors_keep_their_code():
    body = assert_problem(await call("GET", "/things/00000000-0000-0000-0000-000000000001"), 409, "sold_out")
    assert body["detail"] == "already taken"


async def test_unknown_routes_and_methods_are_problems_too():
    assert_problem(await call("GET", "/nothing-here"), 404, "not_found")
    assert_problem(await call("DELETE", "/things"), 405, "method_not_allowed")


async def test_unexpected_errors_do_not_leak_internals():
    body = assert_problem(await call("GET", "/boom"), 500, "internal_error")
    assert "secret" not in body["detail"]


def dependency_app() -> FastAPI:
    """Routes that reach a database and a Redis that are not there, and a real database error."""
    app = FastAPI()
    install_problem_handlers(app)
    settings = TestInfrastructureSettings()

    @app.get("/db-down")
    async def db_down() -> None:
        engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none", "public")
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    @app.get("/redis-down")
    async def redis_down() -> None:
        client = Redis.from_url("redis://127.0.0.1:1/0")
        try:
            await client.ping()
        finally:
            await client.aclose()

    @app.get("/db-bug")
    async def db_bug() -> None:
        engine = create_engine(settings.database_url, "public")
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1 / 0"))
        finally:
            await engine.dispose()

    return app


async def call_dependency_app(url: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=dependency_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(url)


@pytest.mark.integration
async def test_a_database_or_redis_that_is_down_is_503_with_retry_after():
    for url in ("/db-down", "/redis-down"):
        response = await call_dependency_app(url)
        assert_problem(response, 503, "service_unavailable")
        assert response.headers["retry-after"] == "1"


@pytest.mark.integration
async def test_a_database_error_that_is_our_bug_stays_500():
    assert_problem(await call_dependency_app("/db-bug"), 500, "internal_error")

"""Idempotency-Key on the real Redis when Redis is the bottleneck: a burst of requests larger than
the connection pool waits for connections instead of failing, and a Redis that cannot be reached
answers 503 with Retry-After without running the request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crowdify.auth import TokenVerifier, issue_backend_token
from crowdify.idempotency import IdempotencyMiddleware
from crowdify.runtime import redis_client
from crowdify.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def client_for() -> AsyncIterator[object]:
    """An app whose one route records what it ran, behind the middleware and a client of
    ``settings``' Redis; the client's pool limit is checked where the test relies on it."""
    opened: list[tuple[httpx.AsyncClient, Redis, TokenVerifier]] = []

    def make(settings: ServiceSettings, runs: list[str]) -> httpx.AsyncClient:
        async def create(request: Request) -> JSONResponse:
            runs.append((await request.json())["name"])
            await asyncio.sleep(0.01)  # the route's own work, while the burst holds its connections
            return JSONResponse({"created": runs[-1]}, status_code=201)

        redis, verifier = redis_client(settings), TokenVerifier(settings)
        assert redis.connection_pool.max_connections == settings.redis_max_connections
        app = Starlette(routes=[Route("/things", create, methods=["POST"])])
        app.state.token_verifier = verifier
        app.add_middleware(IdempotencyMiddleware, redis=redis, service="tests", path_prefixes=["/things"])
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        opened.append((client, redis, verifier))
        return client

    yield make
    for client, redis, verifier in opened:
        await client.aclose()
        await redis.aclose()
        await verifier.aclose()


def _headers(settings: ServiceSettings, key: str) -> dict[str, str]:
    token = issue_backend_token(
        settings.jwt_secret.get_secret_value(), subject=f"buyer-{uuid.uuid4()}", role="user"
    )
    return {"Authorization": f"Bearer {token}", "Idempotency-Key": key}


async def test_a_burst_larger_than_the_pool_waits_for_connections(client_for):
    # Two connections for forty requests at once, each holding Redis before and after its route:
    # redis-py's default pool answered the third with "Too many connections" (a 500).
    settings = ServiceSettings(REDIS_MAX_CONNECTIONS=2, REDIS_POOL_TIMEOUT_SECONDS=10)
    runs: list[str] = []
    client = client_for(settings, runs)
    names = [f"n{n}" for n in range(40)]

    answers = await asyncio.gather(
        *(
            client.post("/things", json={"name": name}, headers=_headers(settings, str(uuid.uuid4())))
            for name in names
        )
    )

    assert [answer.status_code for answer in answers] == [201] * len(names)
    assert sorted(runs) == sorted(names)


async def test_a_replay_through_a_small_pool_is_the_stored_answer(client_for):
    settings = ServiceSettings(REDIS_MAX_CONNECTIONS=2, REDIS_POOL_TIMEOUT_SECONDS=10)
    runs: list[str] = []
    client = client_for(settings, runs)
    headers = _headers(settings, str(uuid.uuid4()))

    first, again = [await client.post("/things", json={"name": "once"}, headers=headers) for _ in range(2)]

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert runs == ["once"]


async def test_redis_out_of_reach_answers_503_and_runs_nothing(client_for):
    settings = ServiceSettings(REDIS_URL="redis://127.0.0.1:1/0", REDIS_POOL_TIMEOUT_SECONDS=1)
    runs: list[str] = []
    client = client_for(settings, runs)

    answer = await client.post("/things", json={"name": "lost?"}, headers=_headers(settings, "k-1"))

    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["code"] == "service_unavailable"
    assert runs == []

"""``/verify`` as nginx calls it, on the running verifier (no nginx in between): what each verdict
carries, and that the rest of the app is still answered by FastAPI."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest

from crowdify.auth import issue_backend_token
from crowdify.settings import DEV_JWT_SECRET


@pytest.fixture
async def verifier(edge: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{edge.settings.verifier_port}") as http:
        yield http


async def test_a_valid_token_is_allowed_with_its_identity(verifier: httpx.AsyncClient) -> None:
    subject = str(uuid.uuid4())
    token = issue_backend_token(DEV_JWT_SECRET, subject=subject, role="scanner", email="puerta@crowdify.test")

    response = await verifier.get("/verify", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.headers["x-auth-user-id"] == subject
    assert response.headers["x-auth-role"] == "scanner"
    assert response.headers["x-auth-token-kind"] == "backend"
    assert response.headers["x-auth-email"] == "puerta@crowdify.test"
    assert 0 < int(response.headers["x-accel-expires"]) <= 30
    assert response.content == b""
    assert response.headers["content-length"] == "0"


async def test_a_verdict_is_never_cached_past_the_token(verifier: httpx.AsyncClient) -> None:
    token = issue_backend_token(DEV_JWT_SECRET, subject=str(uuid.uuid4()), role="user", ttl_seconds=5)

    response = await verifier.get("/verify", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert int(response.headers["x-accel-expires"]) <= 4


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [(None, "malformed"), ("Basic dXNlcjpwYXNz", "malformed"), ("Bearer not.a.token", "malformed")],
)
async def test_a_request_without_a_usable_token_is_denied(
    verifier: httpx.AsyncClient, authorization: str | None, reason: str
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = await verifier.get("/verify", headers=headers)

    assert response.status_code == 401
    assert response.headers["x-auth-reason"] == reason
    assert "x-auth-user-id" not in response.headers


async def test_an_expired_token_is_denied_for_the_deny_cache_time(verifier: httpx.AsyncClient) -> None:
    now = int(time.time())
    claims = {"iss": "crowdify", "sub": str(uuid.uuid4()), "role": "user", "iat": now - 120, "exp": now - 60}
    token = jwt.encode(claims, DEV_JWT_SECRET, algorithm="HS256")

    response = await verifier.get("/verify", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.headers["x-auth-reason"] == "expired"
    assert response.headers["x-accel-expires"] == "5"


async def test_head_is_answered_and_other_methods_are_refused(verifier: httpx.AsyncClient) -> None:
    token = issue_backend_token(DEV_JWT_SECRET, subject=str(uuid.uuid4()), role="user")

    head = await verifier.head("/verify", headers={"Authorization": f"Bearer {token}"})
    post = await verifier.post("/verify", headers={"Authorization": f"Bearer {token}"})

    assert head.status_code == 200
    assert post.status_code == 405
    assert post.headers["allow"] == "GET, HEAD"


async def test_the_rest_of_the_app_is_still_served(verifier: httpx.AsyncClient) -> None:
    response = await verifier.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}

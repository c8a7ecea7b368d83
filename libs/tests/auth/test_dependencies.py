"""The FastAPI dependencies on a tiny app: 401 without a good token, 403 for the wrong role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from crowdify.auth import (
    CurrentAdmin,
    CurrentAdminOrCoordinator,
    CurrentScanner,
    CurrentUser,
    OptionalUser,
    TokenVerifier,
    issue_backend_token,
)
from crowdify.errors import install_problem_handlers
from crowdify.settings import ServiceSettings
from supabase_emulator.testing import EmulatorClient, running_emulator
from supabase_emulator.users import ADMIN_ID, BUYER_ID

# route -> roles that get 200 (every other role gets 403)
ALLOWED = {
    "/me": {"user", "admin", "coordinator", "scanner"},
    "/admin": {"admin"},
    "/events/manage": {"admin", "coordinator"},
    "/door": {"admin", "coordinator", "scanner"},
}


def build_app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.token_verifier = verifier

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, Any]:
        return {"sub": user.user_id, "role": user.role}

    @app.get("/admin")
    async def admin(user: CurrentAdmin) -> dict[str, Any]:
        return {"sub": user.user_id}

    @app.get("/events/manage")
    async def manage(user: CurrentAdminOrCoordinator) -> dict[str, Any]:
        return {"sub": user.user_id}

    @app.get("/door")
    async def door(user: CurrentScanner) -> dict[str, Any]:
        return {"sub": user.user_id}

    @app.get("/catalogue")
    async def catalogue(user: OptionalUser) -> dict[str, Any]:
        return {"sub": user.user_id if user else None}

    return app


@pytest.fixture
async def client(verifier: TokenVerifier) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        yield client


@pytest.fixture
def backend_token(settings: ServiceSettings) -> Any:
    def make(role: str, subject: str = "someone") -> str:
        return issue_backend_token(settings.jwt_secret.get_secret_value(), subject=subject, role=role)

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("path", [*ALLOWED, "/catalogue"])
@pytest.mark.parametrize("role", ["user", "admin", "coordinator", "scanner"])
async def test_each_route_lets_exactly_its_roles_through(
    client: httpx.AsyncClient, backend_token: Any, path: str, role: str
) -> None:
    response = await client.get(path, headers=bearer(backend_token(role, subject=f"{role}-1")))

    if path == "/catalogue" or role in ALLOWED[path]:
        assert response.status_code == 200, response.text
        assert response.json()["sub"] == f"{role}-1"
    else:
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("path", list(ALLOWED))
async def test_no_token_is_401_problem_with_bearer_challenge(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-User-Id": ADMIN_ID, "X-User-Roles": "admin"},
        {"X-Forwarded-User": ADMIN_ID},
        {"Authorization": "Basic YWRtaW46Y3Jvd2RpZnk="},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},
    ],
)
async def test_identity_headers_and_bad_credentials_never_authenticate(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.get("/admin", headers=headers)

    assert response.status_code == 401


async def test_expired_token_is_401_with_its_reason(
    client: httpx.AsyncClient, emulator: EmulatorClient
) -> None:
    token = await emulator.issue_token("admin@crowdify.test", expires_in=-30)

    response = await client.get("/me", headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["reason"] == "expired"


async def test_supabase_admin_passes_the_admin_route(
    client: httpx.AsyncClient, emulator: EmulatorClient
) -> None:
    token = await emulator.access_token("admin@crowdify.test")

    response = await client.get("/admin", headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {"sub": ADMIN_ID}


async def test_user_metadata_admin_is_403_on_the_admin_route(
    client: httpx.AsyncClient, emulator: EmulatorClient
) -> None:
    token = await emulator.issue_token("buyer@crowdify.test", claims={"user_metadata": {"role": "admin"}})

    assert (await client.get("/admin", headers=bearer(token))).status_code == 403
    assert (await client.get("/me", headers=bearer(token))).json() == {"sub": BUYER_ID, "role": "user"}


async def test_optional_user_is_none_without_a_header(client: httpx.AsyncClient) -> None:
    response = await client.get("/catalogue")

    assert response.status_code == 200
    assert response.json() == {"sub": None}


@pytest.mark.parametrize("authorization", ["Bearer not-a-jwt", "Basic YWRtaW46Y3Jvd2RpZnk=", "Bearer"])
async def test_optional_user_with_a_bad_header_is_still_401(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.get("/catalogue", headers={"Authorization": authorization})

    assert response.status_code == 401


async def test_jwks_outage_is_503_not_401(tmp_path: Any, settings_factory: Any) -> None:
    with running_emulator(tmp_path) as url:
        async with EmulatorClient(url) as emulator:
            token = await emulator.access_token("buyer@crowdify.test")
    verifier = TokenVerifier(settings_factory(url))
    transport = httpx.ASGITransport(app=build_app(verifier))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            response = await client.get("/me", headers=bearer(token))
    finally:
        await verifier.aclose()

    assert response.status_code == 503
    assert response.json()["code"] == "auth_unavailable"


async def test_app_without_a_verifier_fails_loudly() -> None:
    app = build_app(verifier=None)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.get("/me", headers=bearer("x.y.z"))

    assert response.status_code == 500

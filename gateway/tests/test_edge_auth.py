"""JWT at the edge: public routes, missing and bad tokens, identity headers."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest

from crowdify.auth import issue_backend_token
from crowdify.settings import DEV_JWT_SECRET, DEV_SUPABASE_JWT_SECRET
from crowdify_gateway.testing import assert_problem


def rid() -> str:
    return uuid.uuid4().hex


def backend_token(role: str = "user", **kw: Any) -> str:
    return issue_backend_token(DEV_JWT_SECRET, subject=str(uuid.uuid4()), role=role, **kw)


def hs256(claims: dict[str, Any], secret: str = DEV_JWT_SECRET) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def unsigned(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


async def emulator_token(supabase: httpx.AsyncClient, **spec: Any) -> str:
    spec.setdefault("email", "buyer@crowdify.test")
    response = await supabase.post("/__emulator/tokens", json=spec)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_health_is_answered_by_nginx(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/events/8d3f5c1e-0000-4000-8000-000000000001"])
async def test_anonymous_catalogue_read_passes(client: httpx.AsyncClient, edge: Any, path: str) -> None:
    request_id = rid()
    response = await client.get(path, params={"search": "rock"}, headers={"X-Request-ID": request_id})
    assert response.status_code == 200
    seen = edge.upstream.seen[request_id]
    assert seen["path"] == path and seen["query"] == "search=rock"
    assert "x-user-id" not in seen["headers"] and "authorization" not in seen["headers"]


async def test_webhook_needs_no_token(client: httpx.AsyncClient, edge: Any) -> None:
    request_id = rid()
    response = await client.post(
        "/api/v1/purchases/webhook?data.id=123&type=payment",
        json={"action": "payment.updated", "data": {"id": "123"}},
        headers={"X-Request-ID": request_id, "X-Signature": "ts=1,v1=abc"},
    )
    assert response.status_code == 200
    seen = edge.upstream.seen[request_id]
    # Mercado Pago's signature covers x-request-id and x-signature: both arrive untouched.
    assert seen["headers"]["x-signature"] == "ts=1,v1=abc"
    assert seen["headers"]["x-request-id"] == request_id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/events"),
        ("PATCH", "/api/v1/events/8d3f5c1e-0000-4000-8000-000000000001"),
        ("GET", "/api/v1/events/8d3f5c1e-0000-4000-8000-000000000001/stats"),
        ("GET", "/api/v1/purchases"),
        ("POST", "/api/v1/purchases"),
        ("GET", "/api/v1/tickets/8d3f5c1e-0000-4000-8000-000000000001"),
        ("POST", "/api/v1/validation/scan"),
        ("GET", "/api/v1/tickets/8d3f5c1e-0000-4000-8000-000000000001/pdf"),
        ("GET", "/api/v1/notifications"),
    ],
)
async def test_protected_route_without_token_is_401(
    client: httpx.AsyncClient, edge: Any, method: str, path: str
) -> None:
    request_id = rid()
    response = await client.request(method, path, headers={"X-Request-ID": request_id}, json={})
    body = assert_problem(response, 401, "unauthorized")
    assert body["reason"] == "missing_token"
    assert response.headers["www-authenticate"] == "Bearer"
    assert request_id not in edge.upstream.seen


def _bad_backend_tokens() -> dict[str, tuple[str, str]]:
    now = int(time.time())
    base = {"sub": str(uuid.uuid4()), "role": "admin", "iat": now}
    return {
        "forged": (backend_token(role="admin")[:-4] + "AAAA", "bad_signature"),
        "other_secret": (
            issue_backend_token("not-the-secret-but-long-enough-for-hs256-keys", subject="x", role="admin"),
            "bad_signature",
        ),
        "expired": (hs256({**base, "iss": "crowdify", "iat": now - 7200, "exp": now - 3600}), "expired"),
        "alg_none": (unsigned({**base, "iss": "crowdify", "exp": now + 3600}), "alg_not_allowed"),
        "wrong_iss": (hs256({**base, "iss": "evil", "exp": now + 3600}), "wrong_issuer"),
        "not_a_jwt": ("definitely-not-a-jwt", "malformed"),
    }


@pytest.mark.parametrize("case", sorted(_bad_backend_tokens()))
@pytest.mark.parametrize("path", ["/api/v1/purchases", "/api/v1/events"])
async def test_bad_backend_tokens_never_reach_a_service(
    client: httpx.AsyncClient, edge: Any, case: str, path: str
) -> None:
    token, reason = _bad_backend_tokens()[case]
    for _ in range(2):  # the second answer may come from the verdict cache: still a 401
        request_id = rid()
        response = await client.get(
            path, headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
        )
        body = assert_problem(response, 401, "unauthorized")
        assert body["reason"] == reason
        assert request_id not in edge.upstream.seen


@pytest.mark.parametrize(
    ("case", "spec", "reason"),
    [
        ("wrong_aud", {"claims": {"aud": "somebody-else"}}, "wrong_audience"),
        ("wrong_iss", {"claims": {"iss": "https://evil.example/auth/v1"}}, "wrong_issuer"),
        ("expired", {"expires_in": -60}, "expired"),
        ("unknown_kid", {"kid": "no-such-key"}, "unknown_kid"),
    ],
)
async def test_bad_supabase_tokens_are_401(
    client: httpx.AsyncClient,
    supabase: httpx.AsyncClient,
    edge: Any,
    case: str,
    spec: dict[str, Any],
    reason: str,
) -> None:
    token = await emulator_token(supabase, **spec)
    request_id = rid()
    response = await client.get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
    )
    body = assert_problem(response, 401, "unauthorized")
    assert body["reason"] == reason
    assert request_id not in edge.upstream.seen


async def test_legacy_hs256_token_with_backend_secret_is_refused(
    client: httpx.AsyncClient, edge: Any
) -> None:
    """A Supabase-looking token signed with the backend secret: the wrong key for that issuer."""
    now = int(time.time())
    claims = {
        "iss": f"{edge.supabase_url}/auth/v1",
        "aud": "authenticated",
        "sub": str(uuid.uuid4()),
        "role": "authenticated",
        "iat": now,
        "exp": now + 600,
    }
    response = await client.get("/api/v1/tickets", headers={"Authorization": f"Bearer {hs256(claims)}"})
    assert_problem(response, 401, "unauthorized")
    legacy = hs256(claims, DEV_SUPABASE_JWT_SECRET)
    request_id = rid()
    response = await client.get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {legacy}", "X-Request-ID": request_id}
    )
    assert response.status_code == 200
    assert edge.upstream.seen[request_id]["headers"]["x-user-role"] == "user"


async def test_supabase_api_key_is_not_a_user_token(
    client: httpx.AsyncClient, supabase: httpx.AsyncClient
) -> None:
    keys = (await supabase.get("/__emulator/api-keys")).json()
    response = await client.get(
        "/api/v1/tickets", headers={"Authorization": f"Bearer {keys['service_role']}"}
    )
    body = assert_problem(response, 401, "unauthorized")
    assert body["reason"] in {"not_a_user_token", "wrong_issuer"}


async def test_valid_backend_token_passes_and_spoofed_identity_is_replaced(
    client: httpx.AsyncClient, edge: Any
) -> None:
    subject = str(uuid.uuid4())
    token = issue_backend_token(DEV_JWT_SECRET, subject=subject, role="scanner", email="door1@crowdify.test")
    request_id = rid()
    response = await client.post(
        "/api/v1/validation/scan",
        json={"qr_payload": "x", "event_id": "e", "direction": "in"},
        headers={
            "Authorization": f"Bearer {token}",
            "X-Request-ID": request_id,
            "X-User-Id": "00000000-0000-0000-0000-000000000000",
            "X-User-Role": "admin",
            "X-User-Email": "boss@evil.test",
            "X-Auth-Role": "admin",
            "X-Auth-Anything": "whatever",
            "X-Forwarded-User": "admin",
            "Remote-User": "admin",
            "Cookie": "session=abc",
            "Idempotency-Key": "k-1",
        },
    )
    assert response.status_code == 200, response.text
    headers = edge.upstream.seen[request_id]["headers"]
    assert headers["x-user-id"] == subject
    assert headers["x-user-role"] == "scanner"
    assert headers["x-user-email"] == "door1@crowdify.test"
    assert headers["x-auth-token-kind"] == "backend"
    assert headers["authorization"] == f"Bearer {token}"  # services verify it again
    assert headers["idempotency-key"] == "k-1"
    for dropped in ("x-auth-role", "x-auth-anything", "x-forwarded-user", "remote-user", "cookie"):
        assert dropped not in headers
    assert json.loads(edge.upstream.seen[request_id]["body"])["direction"] == "in"


async def test_spoofed_identity_on_anonymous_request_is_dropped(client: httpx.AsyncClient, edge: Any) -> None:
    request_id = rid()
    response = await client.get(
        "/api/v1/events",
        headers={"X-Request-ID": request_id, "X-User-Id": "someone", "X-User-Role": "admin"},
    )
    assert response.status_code == 200
    headers = edge.upstream.seen[request_id]["headers"]
    assert "x-user-id" not in headers and "x-user-role" not in headers


async def test_supabase_session_token_role_comes_from_app_metadata(
    client: httpx.AsyncClient, supabase: httpx.AsyncClient, edge: Any
) -> None:
    email = f"sneaky-{uuid.uuid4().hex[:8]}@crowdify.test"
    created = await supabase.post(
        "/__emulator/users", json={"email": email, "password": "crowdify", "user_metadata": {"role": "admin"}}
    )
    assert created.status_code == 201, created.text
    session = await supabase.post(
        "/auth/v1/token", params={"grant_type": "password"}, json={"email": email, "password": "crowdify"}
    )
    token = session.json()["access_token"]
    request_id = rid()
    response = await client.get(
        "/api/v1/purchases", headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
    )
    assert response.status_code == 200
    headers = edge.upstream.seen[request_id]["headers"]
    assert headers["x-user-role"] == "user"  # user_metadata.role is never trusted
    assert headers["x-auth-token-kind"] == "supabase"
    assert headers["x-user-id"] == created.json()["id"]

    admin = await supabase.post(
        "/auth/v1/token",
        params={"grant_type": "password"},
        json={"email": "admin@crowdify.test", "password": "crowdify"},
    )
    request_id = rid()
    response = await client.get(
        "/api/v1/purchases",
        headers={"Authorization": f"Bearer {admin.json()['access_token']}", "X-Request-ID": request_id},
    )
    assert response.status_code == 200
    assert edge.upstream.seen[request_id]["headers"]["x-user-role"] == "admin"


async def test_token_on_public_route_is_verified_and_identity_passed(
    client: httpx.AsyncClient, edge: Any
) -> None:
    token = backend_token(role="coordinator")
    request_id = rid()
    response = await client.get(
        "/api/v1/events", headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
    )
    assert response.status_code == 200
    assert edge.upstream.seen[request_id]["headers"]["x-user-role"] == "coordinator"


async def test_cached_verdict_is_reused_for_the_same_token(client: httpx.AsyncClient, edge: Any) -> None:
    token = backend_token(role="admin")
    for _ in range(3):
        request_id = rid()
        response = await client.get(
            "/api/v1/purchases", headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id}
        )
        assert response.status_code == 200
        assert edge.upstream.seen[request_id]["headers"]["x-user-role"] == "admin"

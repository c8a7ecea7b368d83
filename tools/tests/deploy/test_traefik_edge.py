"""The compose edge, live: a real Traefik runs deploy/traefik's routes and middlewares in front of
the gateway's real token verifier and echo upstreams (see conftest.edge)."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from crowdify.auth import issue_backend_token
from crowdify_tools.openapi import committed_operations

from .conftest import JWT_SECRET, Edge

pytestmark = pytest.mark.timeout(60)

# Every public operation of the committed OpenAPI documents, with the service that publishes it.
ROUTES = [(op.method, op.path, op.service) for op in committed_operations()]


def token(role: str = "admin", subject: str | None = None, email: str | None = None) -> str:
    return issue_backend_token(JWT_SECRET, subject=subject or str(uuid.uuid4()), role=role, email=email)


def concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), path)


def test_the_committed_documents_list_the_routes() -> None:
    assert len(ROUTES) >= 25, ROUTES


@pytest.mark.parametrize(("method", "path", "service"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_public_route_reaches_its_service(edge: Edge, method: str, path: str, service: str) -> None:
    headers = {"Authorization": f"Bearer {token()}"}
    response = httpx.request(method, edge.url + concrete(path), headers=headers, json={}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["service"] == service


@pytest.mark.parametrize(
    ("method", "path", "service"),
    [
        ("GET", "/api/v1/events", "event-svc"),
        ("HEAD", "/api/v1/events", "event-svc"),
        ("GET", f"/api/v1/events/{uuid.uuid4()}", "event-svc"),
        ("POST", "/api/v1/purchases/webhook", "purchase-svc"),
    ],
)
def test_public_routes_need_no_token(edge: Edge, method: str, path: str, service: str) -> None:
    response = httpx.request(method, edge.url + path, timeout=5)
    assert response.status_code == 200
    if method != "HEAD":
        assert response.json()["service"] == service
        assert "x-auth-role" not in response.json()["headers"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/events"),
        ("GET", f"/api/v1/events/{uuid.uuid4()}/stats"),
        ("GET", "/api/v1/purchases"),
        ("POST", "/api/v1/purchases"),
        ("GET", f"/api/v1/tickets/{uuid.uuid4()}/pdf"),
        ("POST", "/api/v1/validation/scan"),
        ("GET", "/api/v1/notifications"),
        ("GET", "/api/v1/admin/users"),
        ("GET", f"/api/v1/admin/events/{uuid.uuid4()}/exports/orders.csv"),
    ],
)
def test_protected_routes_refuse_a_request_without_a_token(edge: Edge, method: str, path: str) -> None:
    response = httpx.request(method, edge.url + path, timeout=5)
    assert response.status_code == 401
    assert "service" not in response.text  # never reached an upstream


def test_a_bad_token_is_refused_with_the_verifiers_reason(edge: Edge) -> None:
    forged = issue_backend_token("another-secret-entirely-0123456789", subject="x", role="admin")
    response = httpx.get(
        f"{edge.url}/api/v1/purchases", headers={"Authorization": f"Bearer {forged}"}, timeout=5
    )
    assert response.status_code == 401
    assert response.headers["x-auth-reason"] == "bad_signature"


def test_a_public_read_with_a_bad_token_is_verified_too(edge: Edge) -> None:
    response = httpx.get(
        f"{edge.url}/api/v1/events", headers={"Authorization": "Bearer not-a-token"}, timeout=5
    )
    assert response.status_code == 401


def test_the_service_gets_the_verified_identity_and_never_the_clients(edge: Edge) -> None:
    user_id = str(uuid.uuid4())
    headers = {
        "Authorization": f"Bearer {token('user', subject=user_id, email='buyer@example.com')}",
        # What an outsider might send to pass for someone else:
        "X-Auth-Role": "admin",
        "X-Auth-User-Id": "someone-else",
        "X-User-Id": "someone-else",
        "X-User-Role": "admin",
        "Remote-User": "admin",
    }
    seen = httpx.get(f"{edge.url}/api/v1/purchases", headers=headers, timeout=5).json()["headers"]
    assert seen["x-auth-role"] == "user"
    assert seen["x-auth-user-id"] == user_id
    assert seen["x-auth-email"] == "buyer@example.com"
    assert seen["x-auth-token-kind"] == "backend"
    assert "x-user-id" not in seen
    assert "x-user-role" not in seen
    assert "remote-user" not in seen


def test_anonymous_public_reads_carry_no_identity_even_if_the_client_sends_one(edge: Edge) -> None:
    seen = httpx.get(
        f"{edge.url}/api/v1/events", headers={"X-Auth-Role": "admin", "X-User-Id": "x"}, timeout=5
    ).json()["headers"]
    assert "x-auth-role" not in seen
    assert "x-user-id" not in seen


def test_cors_preflight_is_answered_at_the_edge_without_a_token(edge: Edge) -> None:
    response = httpx.options(
        f"{edge.url}/api/v1/purchases",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key",
        },
        timeout=5,
    )
    assert response.status_code in (200, 204)
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "service" not in response.text


def test_other_origins_get_no_cors_headers(edge: Edge) -> None:
    response = httpx.get(f"{edge.url}/api/v1/events", headers={"Origin": "https://evil.example"}, timeout=5)
    assert "access-control-allow-origin" not in response.headers


def test_placing_orders_is_rate_limited_per_verified_buyer(edge: Edge) -> None:
    """purchase-rate: 2/s with a burst of 5 per verified subject, whichever of its tokens it
    presents; another buyer is unaffected."""
    subject = str(uuid.uuid4())
    tokens = [token("user", subject=subject) for _ in range(20)]
    assert len(set(tokens)) == 20
    statuses = [
        httpx.post(
            f"{edge.url}/api/v1/purchases", headers={"Authorization": f"Bearer {t}"}, json={}, timeout=5
        ).status_code
        for t in tokens
    ]
    assert statuses.count(429) >= 1, statuses
    assert statuses[:5] == [200] * 5, statuses
    other = {"Authorization": f"Bearer {token('user')}"}
    assert httpx.post(f"{edge.url}/api/v1/purchases", headers=other, json={}, timeout=5).status_code == 200
    # Reading orders is not the limited endpoint.
    busy = {"Authorization": f"Bearer {tokens[0]}"}
    assert httpx.get(f"{edge.url}/api/v1/purchases", headers=busy, timeout=5).status_code == 200


def test_many_buyers_behind_one_address_are_not_throttled(edge: Edge) -> None:
    # Every request of this test comes from 127.0.0.1, as a carrier's buyers come from its CGNAT
    # address: 80 orders of 80 buyers are far under the per-address flood guard.
    statuses = {
        httpx.post(
            f"{edge.url}/api/v1/purchases",
            headers={"Authorization": f"Bearer {token('user')}"},
            json={},
            timeout=5,
        ).status_code
        for _ in range(80)
    }
    assert statuses == {200}, statuses


def test_minting_scanner_tokens_is_limited_like_a_login(edge: Edge) -> None:
    headers = {"Authorization": f"Bearer {token('coordinator')}"}
    statuses = [
        httpx.post(f"{edge.url}/api/v1/validation/devices", headers=headers, json={}, timeout=5).status_code
        for _ in range(10)
    ]
    assert 429 in statuses, statuses


def test_the_gateway_endpoints_are_the_verifiers(edge: Edge) -> None:
    assert httpx.get(f"{edge.url}/health", timeout=5).json() == {"status": "ok"}
    ready = httpx.get(f"{edge.url}/ready", timeout=5)
    assert ready.status_code == 200
    assert set(ready.json()["services"]) == {
        "event-svc",
        "purchase-svc",
        "validation-svc",
        "notification-svc",
        "pdf-svc",
        "admin-svc",
    }


def test_unknown_paths_reach_no_service(edge: Edge) -> None:
    response = httpx.get(
        f"{edge.url}/api/v1/nothing-here", headers={"Authorization": f"Bearer {token()}"}, timeout=5
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/scanner/",
        "/scanner/sw.js",
        "/scanner",
        "/assets/scanner-AbC123.js",
        "/console/",
        "/",
        "/orders/0b7e4a1c-8d2f-4c55-9f7e-2a1b3c4d5e6f",
        "/eventos/abc",
        "/mis-entradas",
    ],
)
def test_the_web_front_is_served_without_a_token(edge: Edge, path: str) -> None:
    response = httpx.get(edge.url + path, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["service"] == "web"
    assert response.json()["path"] == path


@pytest.mark.parametrize("path", ["/auth/v1/token", "/auth/v1/logout"])
def test_sign_in_reaches_supabase_auth_on_the_same_origin(edge: Edge, path: str) -> None:
    response = httpx.post(edge.url + path, params={"grant_type": "password"}, json={}, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["service"] == "web"
    assert response.json()["path"] == path


@pytest.mark.parametrize(("method", "path"), [("GET", "/auth/v1/token"), ("GET", "/auth/v1/admin/users")])
def test_nothing_else_of_supabase_auth_is_passed_on(edge: Edge, method: str, path: str) -> None:
    response = httpx.request(method, edge.url + path, timeout=5)
    assert response.status_code == 404

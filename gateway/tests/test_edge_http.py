"""Request ids, CORS, rate limits, error bodies, readiness and logs of the running edge."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from crowdify.auth import issue_backend_token
from crowdify.settings import DEV_JWT_SECRET
from crowdify.testing.server import free_port, serving
from crowdify_gateway.testing import assert_problem, running_nginx

ALLOWED_ORIGIN = "https://app.crowdify.test"


def rid() -> str:
    return uuid.uuid4().hex


def token(role: str = "user") -> str:
    return issue_backend_token(DEV_JWT_SECRET, subject=str(uuid.uuid4()), role=role, email="ana@example.com")


async def test_request_id_is_generated_when_absent(client: httpx.AsyncClient, edge: Any) -> None:
    response = await client.get("/api/v1/events")
    generated = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    # The upstream got the same id, and its own X-Request-ID did not leak out.
    assert generated in edge.upstream.seen
    assert response.headers.get_list("x-request-id") == [generated]


async def test_request_id_is_echoed_and_passed_upstream(client: httpx.AsyncClient, edge: Any) -> None:
    request_id = f"web-{uuid.uuid4()}"
    response = await client.get("/api/v1/events", headers={"X-Request-ID": request_id})
    assert response.headers["x-request-id"] == request_id
    assert edge.upstream.seen[request_id]["headers"]["x-request-id"] == request_id


@pytest.mark.parametrize("insane", ["has spaces in it", "x" * 300, '"quoted"', "-leading-dash"])
async def test_insane_request_id_is_replaced(client: httpx.AsyncClient, insane: str) -> None:
    response = await client.get("/health", headers={"X-Request-ID": insane})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_request_id_on_errors_too(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/purchases", headers={"X-Request-ID": "trace-401"})
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "trace-401"
    assert response.json()["request_id"] == "trace-401"


async def test_cors_preflight_for_allowed_origin_is_answered_at_the_edge(
    client: httpx.AsyncClient, edge: Any
) -> None:
    request_id = rid()
    response = await client.options(
        "/api/v1/purchases",
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            "X-Request-ID": request_id,
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "idempotency-key" in allowed
    assert "origin" in response.headers["vary"].lower()
    assert request_id not in edge.upstream.seen


async def test_cors_headers_on_actual_response_for_allowed_origin(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/events", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"x-request-id", "location"} <= exposed
    # Errors carry them too, or the browser hides the 401 from the app.
    denied = await client.get("/api/v1/purchases", headers={"Origin": ALLOWED_ORIGIN})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "https://app.crowdify.test.evil.example", "http://app.crowdify.test", "null"],
)
async def test_no_cors_headers_for_other_origins(client: httpx.AsyncClient, origin: str) -> None:
    preflight = await client.options(
        "/api/v1/purchases", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    response = await client.get("/api/v1/events", headers={"Origin": origin})
    for answer in (preflight, response):
        assert not any(h.lower().startswith("access-control-") for h in answer.headers)


async def test_door_devices_behind_one_address_are_limited_per_device_only(client: httpx.AsyncClient) -> None:
    # A venue's phones share one public address: 12 devices sending 10 scans each at once is
    # above the per-address allowance, yet no device is over its own.
    devices = [{"Authorization": f"Bearer {token('scanner')}"} for _ in range(12)]
    scans = await asyncio.gather(
        *(client.post("/api/v1/validation/scan", json={}, headers=d) for d in devices for _ in range(10))
    )
    assert {r.status_code for r in scans} == {200}
    # One runaway device is still stopped by its own limit.
    runaway = await asyncio.gather(
        *(client.post("/api/v1/validation/scan", json={}, headers=devices[0]) for _ in range(60))
    )
    limited = [r for r in runaway if r.status_code == 429]
    assert limited
    assert_problem(limited[0], 429, "rate_limited")


async def test_an_offline_upload_may_be_larger_than_other_bodies(
    client: httpx.AsyncClient, edge: Any
) -> None:
    # The test edge allows 16 KB bodies; a device's offline backlog of thousands of scans is MBs.
    device = {"Authorization": f"Bearer {token('scanner')}", "Content-Type": "application/json"}
    backlog = b'{"scans": "' + b"x" * 200_000 + b'"}'
    upload = await client.post("/api/v1/validation/sync", content=backlog, headers=device)
    assert upload.status_code == 200, upload.text
    too_big = await client.post("/api/v1/validation/scan", content=backlog, headers=device)
    assert_problem(too_big, 413, "payload_too_large")


async def test_unconfigured_service_is_503_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/api/v1/notifications", headers={"Authorization": f"Bearer {token('admin')}"}
    )
    body = assert_problem(response, 503, "service_unavailable")
    assert body["service"] == "notification-svc"


async def test_service_down_is_502_problem_and_pdf_routes_to_pdf_svc(client: httpx.AsyncClient) -> None:
    bearer = {"Authorization": f"Bearer {token()}"}
    for path in ("/api/v1/tickets/abc/pdf", "/api/v1/purchases/abc/pdf"):
        response = await client.get(path, headers=bearer)
        body = assert_problem(response, 502, "bad_gateway")
        assert body["service"] == "pdf-svc"
    # Not a pdf path: purchase-svc (the echo upstream) answers.
    assert (await client.get("/api/v1/tickets/abc", headers=bearer)).status_code == 200


@pytest.mark.parametrize("path", ["/nope", "/api/v2/events", "/api/v1/unknown", "/_auth", "/_problem/401"])
async def test_unknown_paths_are_404_problem(client: httpx.AsyncClient, path: str) -> None:
    assert_problem(await client.get(path), 404, "not_found")


async def test_oversized_body_is_413_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/events",
        content=b"x" * (64 * 1024),
        headers={"Authorization": f"Bearer {token('admin')}", "Content-Type": "application/json"},
    )
    assert_problem(response, 413, "payload_too_large")


async def test_ready_is_degraded_while_a_service_is_down_then_ready(
    client: httpx.AsyncClient, edge: Any
) -> None:
    response = await client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["services"] == {
        "event-svc": "ready",
        "purchase-svc": "ready",
        "validation-svc": "ready",
        "pdf-svc": "unreachable",
    }

    async def ready(request: Request) -> Response:
        return JSONResponse({"status": "ready"})

    pdf_svc = Starlette(routes=[Route("/ready", ready)])
    with serving(pdf_svc, port=edge.flaky_port, lifespan="off"):
        response = await client.get("/ready")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ready",
            "services": {s: "ready" for s in ("event-svc", "purchase-svc", "validation-svc", "pdf-svc")},
        }

    edge.upstream.ready = False
    try:
        response = await client.get("/ready")
        assert response.status_code == 503
        assert response.json()["services"]["event-svc"] == "not_ready"
    finally:
        edge.upstream.ready = True


async def test_access_log_is_json_without_tokens_or_query(client: httpx.AsyncClient, edge: Any) -> None:
    secret_token = token("admin")
    request_id = rid()
    await client.get(
        "/api/v1/purchases?email=ana@example.com",
        headers={"Authorization": f"Bearer {secret_token}", "X-Request-ID": request_id},
    )
    denied_id = rid()
    await client.get("/api/v1/purchases", headers={"X-Request-ID": denied_id})
    log_path = edge.prefix / "logs" / "access.log"

    def entries() -> dict[str, dict[str, Any]]:
        lines = log_path.read_text().splitlines()
        return {e["request_id"]: e for e in map(json.loads, lines)}

    for _ in range(100):  # nginx writes the line after the response is sent
        found = entries()
        if request_id in found and denied_id in found:
            break
        await asyncio.sleep(0.02)
    entry, denied = found[request_id], found[denied_id]
    assert entry["path"] == "/api/v1/purchases" and entry["status"] == 200
    assert entry["target"] == "purchase-svc" and entry["auth"] == "backend"
    assert (denied["status"], denied["auth"]) == (401, "missing_token")
    text = log_path.read_text()
    assert secret_token not in text and secret_token.split(".")[1] not in text
    assert "ana@example.com" not in text


async def test_combined_openapi_lists_service_paths(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert document["x-crowdify-services"]["pdf-svc"] == "unavailable"
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/validation",  # nginx's own: a prefix location asked for without its slash
        "/api/v1/events/redirect-me",  # a service's, built from the Host it was given
    ],
)
async def test_redirects_never_carry_the_clients_host(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"Host": "attacker.example"})
    assert 300 <= response.status_code < 400
    location = response.headers["location"]
    assert "attacker.example" not in location
    assert location.startswith("/api/v1/")


async def test_the_mercado_pago_webhook_is_rate_limited_per_address(
    gateway_settings: Any, nginx_prefix: Any, edge: Any
) -> None:
    settings = gateway_settings(
        GATEWAY_LISTEN=f"127.0.0.1:{free_port()}",
        GATEWAY_VERIFIER_PORT=edge.settings.verifier_port,
        GATEWAY_SERVICES=edge.settings.services_spec,
        GATEWAY_RATE_WEBHOOK="1r/s",
        GATEWAY_BURST_WEBHOOK=2,
    )
    with running_nginx(settings, nginx_prefix()) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            answers = await asyncio.gather(
                *(http.post("/api/v1/purchases/webhook?topic=payment&id=1") for _ in range(10))
            )
    statuses = [a.status_code for a in answers]
    assert 200 in statuses and 429 in statuses, statuses
    assert_problem(next(a for a in answers if a.status_code == 429), 429, "rate_limited")

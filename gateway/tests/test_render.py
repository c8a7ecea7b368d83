"""The renderer, the launcher and the other auth modes (each checked by a real nginx)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from crowdify.auth import issue_backend_token
from crowdify.settings import DEV_JWT_SECRET
from crowdify.testing.server import free_port
from crowdify_gateway.render import RenderError, check_config, find_njs_module, render, write_config
from crowdify_gateway.settings import GatewaySettings, parse_services
from crowdify_gateway.testing import nginx_available, running_nginx


def njs_available() -> bool:
    try:
        find_njs_module("")
    except RenderError:
        return False
    return True


def test_services_parse_and_name_upstreams() -> None:
    services = parse_services(" event-svc=http://127.0.0.1:8101, pdf-svc=http://pdf-svc:8000/ ,")
    assert [(s.name, s.host, s.port, s.upstream) for s in services] == [
        ("event-svc", "127.0.0.1", 8101, "svc_event_svc"),
        ("pdf-svc", "pdf-svc", 8000, "svc_pdf_svc"),
    ]


@pytest.mark.parametrize(
    "spec",
    [
        "event-svc",
        "event-svc=https://127.0.0.1:8101",
        "event-svc=http://127.0.0.1:8101/prefix",
        "Event_Svc=http://127.0.0.1:8101",
        "event-svc=http://a:1,event-svc=http://b:2",
    ],
)
def test_bad_service_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_services(spec)


def test_only_configured_services_get_upstreams_and_others_answer_503(gateway_settings: Any) -> None:
    text = render(gateway_settings(GATEWAY_SERVICES="event-svc=http://127.0.0.1:8101"), Path("/tmp/x"))
    assert "upstream svc_event_svc" in text and "svc_purchase_svc" not in text
    assert "# purchase-svc is not in GATEWAY_SERVICES." in text
    directives = [line for line in text.splitlines() if not line.strip().startswith("#")]
    assert not [line for line in directives if "/etc/" in line or "/var/" in line or "/run/" in line]
    assert "pid /tmp/x/nginx.pid;" in text and "client_body_temp_path /tmp/x/client_body_temp;" in text


def _location(text: str, match: str) -> str:
    """The body of the rendered ``location <match> {`` block."""
    start = text.index(f"location {match} {{")
    return text[start : text.index("\n        }", start)]


def _per_second(rate: str) -> float:
    number, unit = rate.split("r/")
    return int(number) / (60 if unit == "m" else 1)


def test_each_limited_route_carries_its_zones(gateway_settings: Any) -> None:
    text = render(gateway_settings(), Path("/tmp/x"))
    # Orders: no limit before the token is verified; the verified buyer and the address after it.
    orders = _location(text, "= /api/v1/purchases")
    assert "limit_req" not in orders and "auth_request /_auth;" in orders
    assert "try_files /.crowdify-after-auth @crowdify_orders;" in orders
    after_auth = _location(text, "@crowdify_orders")
    assert "limit_req zone=crowdify_purchase burst=3 nodelay;" in after_auth
    assert "limit_req zone=crowdify_purchase_address burst=600 nodelay;" in after_auth
    assert "limit_req_zone $crowdify_purchase_buyer_key zone=crowdify_purchase:20m rate=2r/s;" in text
    # Scanner tokens per credential and address; sign-in per address; the door per device only.
    devices = _location(text, "= /api/v1/validation/devices")
    assert "zone=crowdify_token " in devices and "zone=crowdify_address " in devices
    assert "zone=crowdify_address " in _location(text, "= /auth/v1/token")
    scan = _location(text, "= /api/v1/validation/scan")
    assert "zone=crowdify_scan " in scan and "address" not in scan


def test_the_shipped_address_guard_is_far_above_one_buyers_rate() -> None:
    # Hundreds of buyers of one carrier (CGNAT) share an address: the guard must be a flood
    # guard, not a person's limit (docs/security.md).
    defaults = {name: field.default for name, field in GatewaySettings.model_fields.items()}
    assert _per_second(defaults["rate_purchase_address"]) >= 100 * _per_second(defaults["rate_purchase"])
    assert defaults["burst_purchase_address"] >= 100 * defaults["burst_purchase"]


@pytest.mark.parametrize(
    "origins", ["*", "https://*.crowdify.cl", "https://ok.test/path", "https://a.test,null"]
)
def test_cors_origins_must_be_exact(gateway_settings: Any, origins: str) -> None:
    with pytest.raises(RenderError):
        render(gateway_settings(CORS_ORIGINS=origins), Path("/tmp/x"))


@pytest.mark.parametrize("header", ["X-User-Id", "x-auth-role", "X-Forwarded-For", "Host", "bad header"])
def test_identity_headers_cannot_be_allow_listed(gateway_settings: Any, header: str) -> None:
    with pytest.raises(RenderError):
        render(gateway_settings(GATEWAY_FORWARD_HEADERS=header), Path("/tmp/x"))


def test_extra_forwarded_header_is_passed(gateway_settings: Any) -> None:
    text = render(gateway_settings(GATEWAY_FORWARD_HEADERS="X-Device-Id"), Path("/tmp/x"))
    assert "proxy_set_header X-Device-Id $http_x_device_id;" in text


def test_auth_cache_key_contains_the_credential(gateway_settings: Any) -> None:
    text = render(gateway_settings(GATEWAY_AUTH_MODE="auth_request_cache"), Path("/tmp/x"))
    assert 'proxy_cache_key "v1|$http_authorization";' in text
    assert "proxy_cache_path" not in render(
        gateway_settings(GATEWAY_AUTH_MODE="auth_request"), Path("/tmp/x")
    )


@pytest.mark.skipif(not nginx_available(), reason="nginx is not installed")
@pytest.mark.parametrize(
    "overrides",
    [
        {"GATEWAY_AUTH_MODE": "auth_request"},
        {"GATEWAY_AUTH_MODE": "auth_request_cache", "GATEWAY_TRUSTED_PROXIES": "10.0.0.0/8,::1"},
        {"GATEWAY_SERVICES": "", "GATEWAY_ACCESS_LOG": "stdout"},
        {"GATEWAY_LISTEN": "0.0.0.0:8000", "GATEWAY_UPSTREAM_KEEPALIVE": 0},
    ],
)
def test_rendered_configs_pass_nginx_t(
    gateway_settings: Any, nginx_prefix: Any, overrides: dict[str, Any]
) -> None:
    settings = gateway_settings(**overrides)
    prefix = nginx_prefix()
    check_config(settings, write_config(settings, prefix))


async def _assert_token_rules(base_url: str, seen: dict[str, Any]) -> None:
    good = issue_backend_token(DEV_JWT_SECRET, subject="u-1", role="admin")
    forged = issue_backend_token("another-secret-that-is-long-enough-for-hs256", subject="u-1", role="admin")
    async with httpx.AsyncClient(base_url=base_url) as http:
        ok_id, bad_id = uuid.uuid4().hex, uuid.uuid4().hex
        ok = await http.get(
            "/api/v1/purchases", headers={"Authorization": f"Bearer {good}", "X-Request-ID": ok_id}
        )
        assert ok.status_code == 200
        bad = await http.get(
            "/api/v1/purchases", headers={"Authorization": f"Bearer {forged}", "X-Request-ID": bad_id}
        )
        assert bad.status_code == 401 and bad.headers["content-type"].startswith("application/problem+json")
        assert bad_id not in seen and ok_id in seen
        missing = await http.get("/api/v1/purchases")
        assert missing.status_code == 401
        assert (await http.get("/api/v1/events")).status_code == 200


@pytest.mark.skipif(not nginx_available(), reason="nginx is not installed")
async def test_auth_request_without_cache_mode(edge: Any, gateway_settings: Any, nginx_prefix: Any) -> None:
    settings = gateway_settings(
        GATEWAY_AUTH_MODE="auth_request",
        GATEWAY_LISTEN=f"127.0.0.1:{free_port()}",
        GATEWAY_VERIFIER_PORT=edge.settings.verifier_port,
        GATEWAY_SERVICES=edge.settings.services_spec,
        SUPABASE_URL=edge.supabase_url,
    )
    with running_nginx(settings, nginx_prefix()) as url:
        await _assert_token_rules(url, edge.upstream.seen)


@pytest.mark.skipif(not (nginx_available() and njs_available()), reason="nginx or its njs module is missing")
async def test_njs_benchmark_mode(
    edge: Any, gateway_settings: Any, nginx_prefix: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JWT_SECRET", DEV_JWT_SECRET)  # njs reads it through nginx's env directive
    settings = gateway_settings(
        GATEWAY_AUTH_MODE="njs_hs256",
        GATEWAY_LISTEN=f"127.0.0.1:{free_port()}",
        GATEWAY_VERIFIER_PORT=edge.settings.verifier_port,
        GATEWAY_SERVICES=edge.settings.services_spec,
    )
    with running_nginx(settings, nginx_prefix()) as url:
        await _assert_token_rules(url, edge.upstream.seen)


@pytest.mark.skipif(not nginx_available(), reason="nginx is not installed")
def test_launcher_runs_nginx_in_the_foreground_and_stops_on_sigterm(nginx_prefix: Any) -> None:
    prefix = nginx_prefix()
    port = free_port()
    env = {
        **os.environ,  # noqa: TID251 (the child needs PATH and the venv)
        "GATEWAY_RUN_DIR": str(prefix),
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "GATEWAY_SERVICES": "event-svc=http://127.0.0.1:9",
        "CROWDIFY_ENV": "test",
    }
    process = subprocess.Popen([sys.executable, "-m", "crowdify_gateway.nginx"], env=env)
    try:
        # A liveness bound, not a speed check: on a busy machine importing the launcher alone can
        # take several seconds.
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the launcher exited"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "nginx did not come up"
            time.sleep(0.02)
        assert (prefix / "nginx.pid").read_text().strip() == str(process.pid)  # exec'd, not a child
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert not (prefix / "nginx.pid").exists()
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.skipif(not nginx_available(), reason="nginx is not installed")
async def test_verifier_down_is_503_auth_unavailable(
    edge: Any, gateway_settings: Any, nginx_prefix: Any
) -> None:
    settings = gateway_settings(
        GATEWAY_LISTEN=f"127.0.0.1:{free_port()}",
        GATEWAY_VERIFIER_PORT=free_port(),  # nothing listens there
        GATEWAY_SERVICES=edge.settings.services_spec,
    )
    token = issue_backend_token(DEV_JWT_SECRET, subject="u-1", role="admin")
    with running_nginx(settings, nginx_prefix()) as url:
        async with httpx.AsyncClient(base_url=url) as http:
            response = await http.get("/api/v1/purchases", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 503
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "auth_unavailable"
            # Anonymous catalogue reads do not need the verifier.
            assert (await http.get("/api/v1/events")).status_code == 200
            # /ready answers even though its aggregator is down.
            ready = await http.get("/ready")
            assert ready.status_code == 503 and ready.json()["status"] == "degraded"

"""The edge serves the built web front: the scanner at /scanner/, the console at /console/, the
shop at / (its screens are addresses of one page), hashed assets cached for a year, the pages and
the service worker revalidated on every load, nothing of it behind a token; and Supabase Auth's
sign-in on the same origin."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


async def test_the_scanner_page_is_served_and_always_revalidated(
    client: httpx.AsyncClient, edge: Any
) -> None:
    response = await client.get("/scanner/")
    assert response.status_code == 200
    assert response.text == (edge.settings.web_root / "scanner/index.html").read_text(encoding="utf-8")
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-request-id"]


async def test_without_the_slash_it_redirects_to_the_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/scanner")
    assert response.status_code == 301
    assert response.headers["location"] == "/scanner/"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/scanner/sw.js", "application/javascript"),
        ("/scanner/manifest.webmanifest", "application/manifest+json"),
    ],
)
async def test_the_service_worker_and_manifest_keep_their_urls_and_are_revalidated(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/assets/scanner-AbC123.js", "application/javascript"),
        ("/assets/zxing_reader-XyZ789.wasm", "application/wasm"),
    ],
)
async def test_hashed_assets_are_kept_for_a_year(
    client: httpx.AsyncClient, path: str, content_type: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["/assets/missing-000.js", "/scanner/missing.png", "/assets/"])
async def test_missing_files_are_404_problem(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/console/", "/console/index.html"])
async def test_the_console_page_is_served_with_the_same_policy(
    client: httpx.AsyncClient, edge: Any, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.text == (edge.settings.web_root / "console/index.html").read_text(encoding="utf-8")
    assert response.headers["cache-control"] == "no-cache"
    assert "connect-src 'self'" in response.headers["content-security-policy"]


async def test_the_console_without_the_slash_redirects(client: httpx.AsyncClient) -> None:
    response = await client.get("/console")
    assert response.status_code == 301
    assert response.headers["location"] == "/console/"


@pytest.mark.parametrize(
    "path",
    ["/", "/orders/0b7e4a1c-8d2f-4c55-9f7e-2a1b3c4d5e6f", "/eventos/abc", "/mis-entradas"],
)
async def test_the_shop_answers_its_screens_with_its_page(
    client: httpx.AsyncClient, edge: Any, path: str
) -> None:
    response = await client.get(path, params={"collection_status": "approved"} if "orders" in path else None)
    assert response.status_code == 200
    assert response.text == (edge.settings.web_root / "index.html").read_text(encoding="utf-8")
    assert response.headers["cache-control"] == "no-cache"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/orders/a/b", "/orders/", "/otra-cosa", "/index.htm"])
async def test_other_addresses_stay_404_problem(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_sign_in_and_refresh_reach_supabase_auth_on_the_same_origin(client: httpx.AsyncClient) -> None:
    signed_in = await client.post(
        "/auth/v1/token",
        params={"grant_type": "password"},
        json={"email": "buyer@crowdify.test", "password": "crowdify"},
    )
    assert signed_in.status_code == 200, signed_in.text
    session = signed_in.json()
    assert session["access_token"] and session["user"]["email"] == "buyer@crowdify.test"
    assert signed_in.headers["cache-control"] == "no-store"
    refreshed = await client.post(
        "/auth/v1/token",
        params={"grant_type": "refresh_token"},
        json={"refresh_token": session["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["access_token"]


async def test_a_wrong_password_is_supabase_auths_own_answer(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/v1/token",
        params={"grant_type": "password"},
        json={"email": "buyer@crowdify.test", "password": "wrong"},
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_credentials"


@pytest.mark.parametrize(("method", "path"), [("GET", "/auth/v1/token"), ("GET", "/auth/v1/admin/users")])
async def test_only_sign_in_and_sign_out_are_passed_to_supabase_auth(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    assert response.status_code in (403, 404)
    assert response.headers["content-type"] == "application/problem+json"

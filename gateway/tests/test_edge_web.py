"""The edge serves the built web front: the scanner at /scanner/, hashed assets cached for a year,
the page and its service worker revalidated on every load, nothing of it behind a token."""

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

"""A service's own /docs and /redoc load their scripts and styles from the service, never a CDN."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from crowdify.api_docs import install_api_docs


async def test_docs_pages_name_only_assets_the_app_serves() -> None:
    app = FastAPI(docs_url=None, redoc_url=None)
    install_api_docs(app, openapi_url="/openapi.json", title="demo")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as http:
        for page in ("/docs", "/redoc"):
            html = (await http.get(page)).text
            assets = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert assets, page
            assert all(url.startswith("/docs/assets/") for url in assets), (page, assets)
            for url in assets:
                served = await http.get(url)
                assert served.status_code == 200 and len(served.content) > 1000, url

"""The fault tests' own platform: started once for the session, torn down (database, virtual host
and all) at the end. See tests/platform.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.platform import ChaosPlatform


@pytest.fixture(scope="session")
async def platform() -> AsyncIterator[ChaosPlatform]:
    chaos = ChaosPlatform()
    try:
        await chaos.start()
        yield chaos
    finally:
        chaos.stop()
        chaos.drop_resources()


@pytest.fixture
async def gateway(platform: ChaosPlatform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=30) as client:
        yield client


@pytest.fixture
async def mp(platform: ChaosPlatform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=platform.url(8200), timeout=30) as client:
        yield client

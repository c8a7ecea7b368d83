"""Journeys through the gateway against the running platform (`make start`).

Tokens come from the Supabase Auth emulator exactly as the web frontend gets them (password
grant), or are backend tokens as door devices get them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class E2ESettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    gateway_url: str = Field(default="http://localhost:8000", alias="GATEWAY_URL")
    supabase_url: str = Field(default="http://localhost:8300", alias="SUPABASE_URL")
    amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", alias="AMQP_URL")
    amqp_exchange: str = Field(default="crowdify", alias="AMQP_EXCHANGE")
    # Examples per operation in the schemathesis run: a bounded run in `make test`, many in `make fuzz`.
    fuzz_examples: int = Field(default=15, ge=1, alias="FUZZ_EXAMPLES")


SEED_PASSWORD = "crowdify"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The schemathesis run goes last: its thousand requests count against the same edge limits
    as the journeys, and the journeys should not start behind them."""
    items.sort(key=lambda item: item.path.name == "test_api_fuzz.py")


@pytest.fixture(scope="session")
def e2e() -> E2ESettings:
    return E2ESettings()


@pytest.fixture
async def gateway(e2e: E2ESettings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=e2e.gateway_url, timeout=10) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 200, f"start the platform first (make start): {ready.text}"
        yield client


@pytest.fixture
async def supabase(e2e: E2ESettings) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=e2e.supabase_url, timeout=10) as client:
        yield client


TokenFor = Callable[..., Awaitable[str]]


@pytest.fixture
def login(supabase: httpx.AsyncClient) -> TokenFor:
    async def token_for(email: str) -> str:
        response = await supabase.post(
            "/auth/v1/token",
            params={"grant_type": "password"},
            json={"email": email, "password": SEED_PASSWORD},
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return token_for


@pytest.fixture
def sign_up(supabase: httpx.AsyncClient, login: TokenFor) -> TokenFor:
    """A new Supabase account with this address, signed in: its session's email claim is where
    every email about its orders goes."""

    async def create(email: str) -> str:
        response = await supabase.post("/__emulator/users", json={"email": email})
        assert response.status_code == 201, response.text
        return await login(email)

    return create


@pytest.fixture
def crafted_token(supabase: httpx.AsyncClient) -> Callable[..., Awaitable[str]]:
    """A token signed by the emulator's real key, with claims a test chooses."""

    async def craft(email: str = "buyer@crowdify.test", **body: Any) -> str:
        response = await supabase.post("/__emulator/tokens", json={"email": email, **body})
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return craft


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

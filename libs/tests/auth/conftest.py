"""Fixtures for the auth tests: a real Supabase Auth emulator over HTTP, and a verifier on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from crowdify.auth import TokenVerifier
from crowdify.auth.token_cache import VerifiedTokens
from crowdify.settings import ServiceSettings
from supabase_emulator.testing import EmulatorClient, running_emulator

BACKEND_SECRET = "test-backend-secret-0123456789abcdef"
LEGACY_SUPABASE_SECRET = "test-supabase-legacy-secret-0123456789"
JWKS_CACHE_SECONDS = 300


class FakeClock:
    """A monotonic clock the test moves by hand (JWKS cache age and refresh cooldown)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class JwksRequestLog:
    """Counts the JWKS requests a verifier really sends, through an httpx event hook."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, request: httpx.Request) -> None:
        self.paths.append(request.url.path)

    @property
    def jwks_fetches(self) -> int:
        return sum(path.endswith("/.well-known/jwks.json") for path in self.paths)


def make_settings(
    supabase_url: str, *, legacy_secret: str | None = LEGACY_SUPABASE_SECRET
) -> ServiceSettings:
    """Explicit values for everything the verifier reads, so a developer's .env cannot leak in."""
    return ServiceSettings(
        JWT_SECRET=BACKEND_SECRET,
        SUPABASE_URL=supabase_url,
        SUPABASE_JWT_SECRET=legacy_secret,
        JWKS_CACHE_SECONDS=JWKS_CACHE_SECONDS,
        CROWDIFY_ENV="test",
    )


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One emulator for the session: tests here only read from it or add fresh tokens.

    Tests that rotate keys or stop the server start their own (see ``fresh_emulator_url``).
    """
    with running_emulator(
        tmp_path_factory.mktemp("supabase-emulator"), supabase_jwt_secret=LEGACY_SUPABASE_SECRET
    ) as url:
        yield url


@pytest.fixture
def fresh_emulator_url(tmp_path: Path) -> Iterator[str]:
    """An emulator of the test's own, for tests that change its keys."""
    with running_emulator(tmp_path / "supabase-emulator", supabase_jwt_secret=LEGACY_SUPABASE_SECRET) as url:
        yield url


@pytest.fixture
async def emulator(emulator_url: str) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator_url) as client:
        yield client


@pytest.fixture
def settings(emulator_url: str) -> ServiceSettings:
    return make_settings(emulator_url)


@pytest.fixture
def settings_factory() -> Callable[[str], ServiceSettings]:
    """Settings for an emulator a test runs itself (to stop it halfway, for instance)."""
    return make_settings


@pytest.fixture
def settings_without_legacy_secret(emulator_url: str) -> ServiceSettings:
    """A project on asymmetric keys only: no SUPABASE_JWT_SECRET."""
    return make_settings(emulator_url, legacy_secret=None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def request_log() -> JwksRequestLog:
    return JwksRequestLog()


@pytest.fixture
async def verifier(
    settings: ServiceSettings, clock: FakeClock, request_log: JwksRequestLog
) -> AsyncIterator[TokenVerifier]:
    async with httpx.AsyncClient(event_hooks={"request": [request_log]}) as http_client:
        # These tests are about fetching keys: every verify must reach them, not the per-process
        # cache of verified tokens (tested on its own in test_token_cache.py).
        verifier = TokenVerifier(
            settings, http_client=http_client, clock=clock, verified=VerifiedTokens(max_entries=0)
        )
        yield verifier
        await verifier.aclose()

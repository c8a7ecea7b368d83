"""A real Supabase Auth emulator over HTTP for each test that asks for one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from supabase_emulator.testing import EmulatorClient, running_emulator

LEGACY_SUPABASE_SECRET = "test-supabase-legacy-secret-0123456789"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "supabase-emulator"


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One emulator for the session; a test that rotates keys or restarts it runs its own."""
    state = tmp_path_factory.mktemp("supabase-emulator")
    with running_emulator(state, supabase_jwt_secret=LEGACY_SUPABASE_SECRET) as url:
        yield url


@pytest.fixture
async def http(emulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the emulator, for checking the exact shapes it answers with."""
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        yield client


@pytest.fixture
async def emulator(emulator_url: str) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator_url) as client:
        yield client

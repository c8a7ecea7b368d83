"""Run the emulator over real HTTP inside a test process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from crowdify.testing.server import serving_built
from supabase_emulator.app import create_app
from supabase_emulator.settings import EmulatorSettings
from supabase_emulator.users import SEED_PASSWORD


@contextmanager
def running_emulator(state_dir: Path, *, startup_timeout: float = 10.0, **settings: Any) -> Iterator[str]:
    """Serve a fresh emulator on a free local port; yields its base URL (also its SUPABASE_URL).

    ``settings`` are further :class:`EmulatorSettings` fields (``supabase_jwt_secret=...``).
    uvicorn runs in a thread with its own event loop, so tests may use any loop they like.
    """

    def build(base_url: str) -> Any:
        return create_app(
            EmulatorSettings(supabase_url=base_url, state_dir=state_dir, key_file=None, **settings)
        )

    with serving_built(build, lifespan="off", startup_timeout=startup_timeout) as base_url:
        yield base_url


class EmulatorClient:
    """Thin async helpers over a running emulator's HTTP API, for tests and scripts."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def sign_in(self, email: str, password: str = SEED_PASSWORD) -> dict[str, Any]:
        """The session of a password sign-in (raises on an error answer)."""
        response = await self._http.post(
            "/auth/v1/token", params={"grant_type": "password"}, json={"email": email, "password": password}
        )
        response.raise_for_status()
        session: dict[str, Any] = response.json()
        return session

    async def access_token(self, email: str) -> str:
        return str((await self.sign_in(email))["access_token"])

    async def issue_token(
        self,
        email: str,
        *,
        claims: dict[str, Any] | None = None,
        expires_in: int | None = None,
        alg: str = "ES256",
        kid: str | None = None,
    ) -> str:
        """A token from the ``/__emulator/tokens`` knob (claim overrides; ``None`` removes one)."""
        spec = {"email": email, "claims": claims or {}, "expires_in": expires_in, "alg": alg, "kid": kid}
        response = await self._http.post("/__emulator/tokens", json=spec)
        response.raise_for_status()
        return str(response.json()["access_token"])

    async def rotate_key(self) -> str:
        """Rotate the signing key; returns the new current kid."""
        response = await self._http.post("/__emulator/keys/rotate")
        response.raise_for_status()
        return str(response.json()["kid"])

    async def jwks(self) -> dict[str, Any]:
        response = await self._http.get("/auth/v1/.well-known/jwks.json")
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    async def api_keys(self) -> dict[str, str]:
        response = await self._http.get("/__emulator/api-keys")
        response.raise_for_status()
        return {str(kind): str(key) for kind, key in response.json().items()}

    async def add_user(self, email: str, *, role: str | None = None, **extra: Any) -> dict[str, Any]:
        response = await self._http.post("/__emulator/users", json={"email": email, "role": role, **extra})
        response.raise_for_status()
        user: dict[str, Any] = response.json()
        return user

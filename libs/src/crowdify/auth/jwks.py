"""The Supabase JWKS, fetched with httpx and cached.

Keys are cached for ``cache_seconds``. A token whose ``kid`` is not in the cache triggers one
refresh (key rotation), but at most once per ``refresh_cooldown_seconds``, so a flood of tokens
with made-up ``kid`` values costs at most one extra fetch per cooldown. Fetches are serialised by
a lock and callers that waited on a fetch reuse its result instead of fetching again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWTError

from crowdify.auth.errors import AuthError

log = logging.getLogger(__name__)

# Supabase signs user tokens with ES256 (recommended) or RS256; nothing else is taken from a JWKS.
ASYMMETRIC_ALGORITHMS: Final = frozenset({"ES256", "RS256"})
_ALGORITHM_BY_KTY: Final = {"EC": "ES256", "RSA": "RS256"}


def parse_jwks(document: object) -> dict[str, PyJWK]:
    """Verification keys by ``kid``; keys we would never verify with are skipped, not fatal.

    Supabase lists no keys at all for a project that only uses the legacy HS256 secret.
    """
    raw_keys = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(raw_keys, list):
        raise ValueError("JWKS document has no 'keys' list")
    keys: dict[str, PyJWK] = {}
    for raw in raw_keys:
        if not isinstance(raw, dict):
            continue
        kid, kty = raw.get("kid"), raw.get("kty")
        kty_algorithm = _ALGORITHM_BY_KTY.get(kty) if isinstance(kty, str) else None
        algorithm = raw.get("alg", kty_algorithm)
        usable = (
            isinstance(kid, str)
            and kid != ""
            and algorithm in ASYMMETRIC_ALGORITHMS
            and algorithm == kty_algorithm  # an EC key never verifies RS256, and so on
            and raw.get("use", "sig") == "sig"
            and "verify" in raw.get("key_ops", ["verify"])
        )
        if not usable:
            log.debug("skipping JWK kid=%r kty=%r alg=%r", kid, kty, algorithm)
            continue
        try:
            keys[str(kid)] = PyJWK(raw, algorithm=str(algorithm))
        except PyJWTError as exc:
            log.warning("skipping unusable JWK kid=%r: %s", kid, exc)
    return keys


class JwksCache:
    """Supabase verification keys by ``kid``, cached and refreshed on rotation."""

    def __init__(
        self,
        url: str,
        *,
        http_client: httpx.AsyncClient | None = None,
        cache_seconds: float = 300.0,
        refresh_cooldown_seconds: float = 30.0,
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._client = http_client
        self._owns_client = http_client is None
        self._cache_seconds = cache_seconds
        self._cooldown_seconds = refresh_cooldown_seconds
        self._timeout_seconds = timeout_seconds
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._refresh_due_at: float | None = None  # None: never fetched
        self._last_unknown_kid_refresh_at: float | None = None
        self._last_fetch_failed = False
        self._generation = 0  # counts fetch attempts; lets waiters see that one happened
        self._lock = asyncio.Lock()

    async def get_signing_key(self, kid: str) -> PyJWK:
        """The key for ``kid``; raises :class:`AuthError` ``unknown_kid`` or ``jwks_unavailable``."""
        generation_at_start = self._generation
        if self._refresh_due_at is None or self._clock() >= self._refresh_due_at:
            await self._refresh(generation_at_start)
        key = self._keys.get(kid)
        if key is not None:
            return key
        # A fetch that happened while this call was running is as fresh as a new one would be.
        if self._generation == generation_at_start and self._may_refresh_for_unknown_kid():
            await self._refresh(generation_at_start)
            key = self._keys.get(kid)
            if key is not None:
                return key
        if self._last_fetch_failed:
            # The kid may well be a rotation we cannot see: an outage, not a bad token.
            raise AuthError("jwks_unavailable", f"cannot fetch {self.url}")
        raise AuthError("unknown_kid", f"no signing key with kid {kid!r}")

    def _may_refresh_for_unknown_kid(self) -> bool:
        now = self._clock()
        last = self._last_unknown_kid_refresh_at
        if last is not None and now - last < self._cooldown_seconds:
            return False
        # Claimed before the first await, so concurrent unknown kids cannot all get through.
        self._last_unknown_kid_refresh_at = now
        return True

    async def _refresh(self, seen_generation: int) -> None:
        async with self._lock:
            if self._generation != seen_generation:
                return  # somebody else fetched while we waited for the lock
            try:
                self._keys = parse_jwks(await self._fetch())
                self._refresh_due_at = self._clock() + self._cache_seconds
                self._last_fetch_failed = False
            except (httpx.HTTPError, ValueError) as exc:
                # Keep serving the keys we have; try again after the cooldown, not on every request.
                log.warning("JWKS fetch from %s failed: %s", self.url, exc)
                self._refresh_due_at = self._clock() + min(self._cooldown_seconds, self._cache_seconds)
                self._last_fetch_failed = True
            finally:
                self._generation += 1

    async def _fetch(self) -> Any:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout_seconds)
        response = await self._client.get(self.url, headers={"Accept": "application/json"})
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

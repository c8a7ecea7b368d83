"""The per-process cache of verified tokens: once per token while it is valid, never past exp."""

from __future__ import annotations

import time

import jwt
import pytest

from crowdify.auth import AuthError, Principal, TokenVerifier, issue_backend_token
from crowdify.auth.token_cache import VerifiedTokens
from crowdify.settings import ServiceSettings


class WallClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def principal(exp: float) -> Principal:
    return Principal(
        user_id="device:1", role="scanner", email=None, token_kind="backend", claims={"exp": exp}
    )


def test_an_entry_lasts_until_exp_and_never_longer_than_max_age() -> None:
    clock = WallClock()
    cache = VerifiedTokens(max_age_seconds=60, clock=clock)
    cache.put("soon", principal(clock.now + 10))
    cache.put("later", principal(clock.now + 3600))

    clock.now += 9.9
    assert cache.get("soon") is not None
    clock.now += 0.1
    assert cache.get("soon") is None  # at exp: gone, whatever max_age says
    assert cache.get("later") is not None
    clock.now += 50
    assert cache.get("later") is None  # 60 s after it was verified


def test_an_expired_token_is_never_kept_and_the_oldest_entry_makes_room() -> None:
    clock = WallClock()
    cache = VerifiedTokens(max_entries=2, clock=clock)
    cache.put("expired", principal(clock.now - 1))
    assert len(cache) == 0
    for token in ("a", "b", "c"):
        cache.put(token, principal(clock.now + 100))
    assert len(cache) == 2
    assert cache.get("a") is None
    assert cache.get("b") is not None and cache.get("c") is not None


@pytest.fixture
def backend_settings() -> ServiceSettings:
    return ServiceSettings(supabase_url="http://127.0.0.1:9")


async def test_the_verifier_checks_a_token_once_while_it_is_valid(backend_settings: ServiceSettings) -> None:
    clock = WallClock()
    verified = VerifiedTokens(clock=clock)
    verifier = TokenVerifier(backend_settings, verified=verified)
    secret = backend_settings.jwt_secret.get_secret_value()
    token = issue_backend_token(secret, subject="device:7", role="scanner", ttl_seconds=30)

    first = await verifier.verify(token)
    assert len(verified) == 1
    assert await verifier.verify(token) is first  # from the cache: the same principal object

    # A refused token is not remembered: it is checked (and refused) every time.
    forged = jwt.encode(
        {"iss": "crowdify", "sub": "x", "role": "admin"}, "a-forger-does-not-know-the-real-secret", "HS256"
    )
    for _ in range(2):
        with pytest.raises(AuthError):
            await verifier.verify(forged)
    assert len(verified) == 1

    # Past exp the entry is gone: the next verify checks the token again.
    clock.now += 31
    assert verified.get(token) is None
    await verifier.aclose()

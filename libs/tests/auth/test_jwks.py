"""JWKS fetching against the real emulator: caching, rotation, bogus kids, concurrency, outages."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest

from crowdify.auth import AuthError, TokenVerifier
from crowdify.auth.jwks import parse_jwks
from crowdify.settings import ServiceSettings
from supabase_emulator.testing import EmulatorClient, running_emulator

BUYER = "buyer@crowdify.test"


@pytest.fixture
def emulator_url(fresh_emulator_url: str) -> str:
    """These tests rotate keys: each gets an emulator of its own."""
    return fresh_emulator_url


COOLDOWN_SECONDS = 30.0  # the verifier's default


async def test_many_verifications_cost_one_fetch(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any
) -> None:
    tokens = [await emulator.access_token(email) for email in (BUYER, "admin@crowdify.test") * 5]

    for token in tokens:
        await verifier.verify(token)

    assert request_log.jwks_fetches == 1


async def test_concurrent_verifications_on_a_cold_cache_share_one_fetch(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any
) -> None:
    token = await emulator.access_token(BUYER)

    principals = await asyncio.gather(*(verifier.verify(token) for _ in range(25)))

    assert {principal.role for principal in principals} == {"user"}
    assert request_log.jwks_fetches == 1


async def test_keys_are_fetched_again_once_the_cache_expires(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any, clock: Any, settings: ServiceSettings
) -> None:
    token = await emulator.access_token(BUYER)
    await verifier.verify(token)

    clock.advance(settings.jwks_cache_seconds - 1)
    await verifier.verify(token)
    assert request_log.jwks_fetches == 1

    clock.advance(1)
    await verifier.verify(token)
    assert request_log.jwks_fetches == 2


async def test_token_under_a_rotated_key_is_accepted_after_one_refresh(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any
) -> None:
    old_token = await emulator.access_token(BUYER)
    await verifier.verify(old_token)

    new_kid = await emulator.rotate_key()
    new_token = await emulator.access_token("admin@crowdify.test")

    principal = await verifier.verify(new_token)
    assert principal.role == "admin" and principal.claims  # accepted under the new key
    assert request_log.jwks_fetches == 2
    assert new_kid in {key["kid"] for key in (await emulator.jwks())["keys"]}

    # Both keys are now cached: neither token costs another fetch, and the old one is still good.
    await verifier.verify(old_token)
    await verifier.verify(new_token)
    assert request_log.jwks_fetches == 2


async def test_a_flood_of_unknown_kids_costs_one_fetch_per_cooldown(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any, clock: Any
) -> None:
    await verifier.verify(await emulator.access_token(BUYER))
    bogus = [await emulator.issue_token(BUYER, kid=f"bogus-{uuid.uuid4()}") for _ in range(5)]

    outcomes = await asyncio.gather(*(verifier.verify(token) for token in bogus * 10), return_exceptions=True)

    assert all(isinstance(outcome, AuthError) and outcome.reason == "unknown_kid" for outcome in outcomes)
    assert request_log.jwks_fetches == 2  # the first fetch plus one refresh for the whole flood

    clock.advance(COOLDOWN_SECONDS)
    with pytest.raises(AuthError, match="unknown_kid"):
        await verifier.verify(bogus[0])
    assert request_log.jwks_fetches == 3


async def test_a_rotation_right_after_a_bogus_kid_refresh_is_seen_after_the_cooldown(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any, clock: Any
) -> None:
    await verifier.verify(await emulator.access_token(BUYER))
    with pytest.raises(AuthError, match="unknown_kid"):
        await verifier.verify(await emulator.issue_token(BUYER, kid="bogus"))
    await emulator.rotate_key()
    rotated = await emulator.access_token(BUYER)

    with pytest.raises(AuthError, match="unknown_kid"):
        await verifier.verify(rotated)
    clock.advance(COOLDOWN_SECONDS)

    assert (await verifier.verify(rotated)).user_id
    assert request_log.jwks_fetches == 3


async def test_cached_keys_outlive_a_jwks_outage(tmp_path: Path, clock: Any, settings_factory: Any) -> None:
    with running_emulator(tmp_path) as url:
        async with EmulatorClient(url) as emulator:
            token = await emulator.access_token(BUYER)
            unknown_kid_token = await emulator.issue_token(BUYER, kid="rotated-while-down")
        verifier = TokenVerifier(settings_factory(url), clock=clock)
        await verifier.verify(token)
    # The emulator is gone now.
    try:
        clock.advance(3600)
        assert (await verifier.verify(token)).user_id  # stale keys beat no keys
        with pytest.raises(AuthError) as caught:
            await verifier.verify(unknown_kid_token)
        assert caught.value.reason == "jwks_unavailable"
    finally:
        await verifier.aclose()


async def test_unreachable_jwks_with_nothing_cached_is_unavailable_not_invalid(
    tmp_path: Path, settings_factory: Any
) -> None:
    with running_emulator(tmp_path) as url:
        async with EmulatorClient(url) as emulator:
            token = await emulator.access_token(BUYER)
    verifier = TokenVerifier(settings_factory(url))
    try:
        with pytest.raises(AuthError) as caught:
            await verifier.verify(token)
        assert caught.value.reason == "jwks_unavailable"
    finally:
        await verifier.aclose()


async def test_verifier_fetches_the_documented_jwks_url(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any
) -> None:
    await verifier.verify(await emulator.access_token(BUYER))

    assert request_log.paths == ["/auth/v1/.well-known/jwks.json"]
    assert verifier.jwks.url == f"{emulator.base_url}/auth/v1/.well-known/jwks.json"


EC_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
    "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
}


@pytest.mark.parametrize(
    ("jwk", "usable"),
    [
        ({**EC_JWK, "kid": "a", "alg": "ES256", "use": "sig", "key_ops": ["verify"]}, True),
        ({**EC_JWK, "kid": "a"}, True),  # alg inferred from kty
        ({**EC_JWK}, False),  # no kid: a token could never name it
        ({**EC_JWK, "kid": "a", "alg": "RS256"}, False),  # alg does not match the key type
        ({**EC_JWK, "kid": "a", "alg": "HS256"}, False),
        ({**EC_JWK, "kid": "a", "use": "enc"}, False),
        ({**EC_JWK, "kid": "a", "key_ops": ["encrypt"]}, False),
        ({"kty": "oct", "kid": "a", "k": "c2VjcmV0", "alg": "HS256"}, False),  # never an HMAC key
        ({"kty": "EC", "crv": "P-256", "kid": "a", "x": "broken"}, False),
    ],
)
def test_parse_jwks_keeps_only_asymmetric_verification_keys(jwk: dict[str, Any], usable: bool) -> None:
    assert ("a" in parse_jwks({"keys": [jwk]})) is usable


@pytest.mark.parametrize("document", [{}, {"keys": "nope"}, [], "text"])
def test_parse_jwks_refuses_a_document_without_keys(document: object) -> None:
    with pytest.raises(ValueError):
        parse_jwks(document)


def test_hs256_only_project_publishes_an_empty_jwks() -> None:
    assert parse_jwks({"keys": []}) == {}

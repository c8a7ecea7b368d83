"""Supabase access tokens, from a real emulator over HTTP: what is accepted and every rejection."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from crowdify.auth import AuthError, TokenVerifier
from crowdify.settings import ServiceSettings
from supabase_emulator.testing import EmulatorClient
from supabase_emulator.users import ADMIN_ID, BUYER_ID, COORDINATOR_ID, SCANNER_ID

from .conftest import make_settings

BUYER = "buyer@crowdify.test"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def _hmac_token(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """HS256 by hand: PyJWT itself refuses a PEM public key as an HMAC secret."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


async def _reason(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    return caught.value.reason


@pytest.mark.parametrize(
    ("email", "user_id", "role"),
    [
        ("admin@crowdify.test", ADMIN_ID, "admin"),
        ("coordinator@crowdify.test", COORDINATOR_ID, "coordinator"),
        ("scanner@crowdify.test", SCANNER_ID, "scanner"),
        (BUYER, BUYER_ID, "user"),
    ],
)
async def test_signed_in_users_get_their_app_metadata_role(
    verifier: TokenVerifier, emulator: EmulatorClient, email: str, user_id: str, role: str
) -> None:
    principal = await verifier.verify(await emulator.access_token(email))

    assert (principal.user_id, principal.role, principal.email) == (user_id, role, email)
    assert principal.token_kind == "supabase"
    assert principal.claims["session_id"] and principal.claims["aal"] == "aal1"


async def test_user_metadata_role_is_never_trusted(verifier: TokenVerifier, emulator: EmulatorClient) -> None:
    token = await emulator.issue_token(
        BUYER, claims={"user_metadata": {"role": "admin"}, "user_role": "admin"}
    )

    principal = await verifier.verify(token)

    assert principal.role == "user"


async def test_app_metadata_role_is_respected(verifier: TokenVerifier, emulator: EmulatorClient) -> None:
    token = await emulator.issue_token(
        BUYER, claims={"app_metadata": {"provider": "email", "providers": ["email"], "role": "coordinator"}}
    )

    assert (await verifier.verify(token)).role == "coordinator"


@pytest.mark.parametrize("stored_role", ["superadmin", "ADMIN", 7, ["admin"]])
async def test_unknown_app_metadata_role_means_user(
    verifier: TokenVerifier, emulator: EmulatorClient, stored_role: object
) -> None:
    token = await emulator.issue_token(
        BUYER, claims={"app_metadata": {"provider": "email", "role": stored_role}}
    )

    assert (await verifier.verify(token)).role == "user"


async def test_email_less_user_has_no_email(verifier: TokenVerifier, emulator: EmulatorClient) -> None:
    token = await emulator.issue_token(BUYER, claims={"email": ""})

    assert (await verifier.verify(token)).email is None


async def test_forged_claims_fail_the_signature(verifier: TokenVerifier, emulator: EmulatorClient) -> None:
    header_b64, _, signature_b64 = (await emulator.access_token(BUYER)).split(".")
    _, claims = _unsigned_parts(await emulator.access_token(BUYER))
    claims["app_metadata"] = {"provider": "email", "role": "admin"}
    forged = f"{header_b64}.{_b64(json.dumps(claims).encode())}.{signature_b64}"

    assert await _reason(verifier, forged) == "bad_signature"


async def test_token_signed_by_another_key_under_the_emulators_kid_is_rejected(
    verifier: TokenVerifier, emulator: EmulatorClient
) -> None:
    header, claims = _unsigned_parts(await emulator.access_token(BUYER))
    impostor = jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers=header)

    assert await _reason(verifier, impostor) == "bad_signature"


async def test_expired_token_is_rejected(verifier: TokenVerifier, emulator: EmulatorClient) -> None:
    assert await _reason(verifier, await emulator.issue_token(BUYER, expires_in=-60)) == "expired"


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "some-other-project"}, "wrong_audience"),
        ({"aud": None}, "missing_claim"),
        ({"iss": "https://someone-else.supabase.co/auth/v1"}, "wrong_issuer"),
        ({"sub": None}, "missing_claim"),
        ({"sub": ""}, "missing_claim"),
        ({"exp": None}, "missing_claim"),
        ({"role": "anon"}, "not_a_user_token"),
        ({"role": "service_role"}, "not_a_user_token"),
        ({"role": None}, "missing_claim"),
    ],
)
async def test_tokens_with_bad_claims_are_rejected(
    verifier: TokenVerifier, emulator: EmulatorClient, claims: dict[str, Any], reason: str
) -> None:
    assert await _reason(verifier, await emulator.issue_token(BUYER, claims=claims)) == reason


async def test_audience_list_containing_authenticated_is_accepted(
    verifier: TokenVerifier, emulator: EmulatorClient
) -> None:
    # Supabase serialises aud as a string, but the claim is typed ``string | string[]``.
    token = await emulator.issue_token(BUYER, claims={"aud": ["authenticated"]})

    assert (await verifier.verify(token)).user_id == BUYER_ID


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_is_rejected(verifier: TokenVerifier, emulator: EmulatorClient, alg: str) -> None:
    header, claims = _unsigned_parts(await emulator.access_token(BUYER))
    unsigned = f"{_b64(json.dumps({**header, 'alg': alg}).encode())}.{_b64(json.dumps(claims).encode())}."

    assert await _reason(verifier, unsigned) == "alg_not_allowed"


async def _public_key_pem(emulator: EmulatorClient) -> tuple[str, bytes]:
    jwk = (await emulator.jwks())["keys"][0]
    public_key = jwt.PyJWK(jwk).key
    pem = public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return jwk["kid"], pem


async def test_hs256_signed_with_the_public_key_is_rejected(
    verifier: TokenVerifier, emulator: EmulatorClient
) -> None:
    kid, pem = await _public_key_pem(emulator)
    _, claims = _unsigned_parts(await emulator.access_token(BUYER))
    confused = _hmac_token({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, pem)

    assert await _reason(verifier, confused) == "bad_signature"


async def test_hs256_signed_with_the_public_key_is_rejected_without_a_legacy_secret(
    settings_without_legacy_secret: ServiceSettings, emulator: EmulatorClient
) -> None:
    kid, pem = await _public_key_pem(emulator)
    _, claims = _unsigned_parts(await emulator.access_token(BUYER))
    confused = _hmac_token({"alg": "HS256", "typ": "JWT", "kid": kid}, claims, pem)

    verifier = TokenVerifier(settings_without_legacy_secret)
    try:
        assert await _reason(verifier, confused) == "alg_not_allowed"
    finally:
        await verifier.aclose()


async def test_rs256_under_an_ec_kid_is_rejected(verifier: TokenVerifier, emulator: EmulatorClient) -> None:
    header, claims = _unsigned_parts(await emulator.access_token(BUYER))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mismatched = jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": header["kid"]})

    assert await _reason(verifier, mismatched) == "alg_not_allowed"


@pytest.mark.parametrize("alg", ["ES384", "PS256", "EdDSA"])
async def test_algorithms_supabase_does_not_use_are_rejected(
    verifier: TokenVerifier, emulator: EmulatorClient, alg: str
) -> None:
    header, claims = _unsigned_parts(await emulator.access_token(BUYER))
    token = f"{_b64(json.dumps({**header, 'alg': alg}).encode())}.{_b64(json.dumps(claims).encode())}.c2ln"

    assert await _reason(verifier, token) == "alg_not_allowed"


async def test_asymmetric_token_without_kid_is_rejected(
    verifier: TokenVerifier, emulator: EmulatorClient
) -> None:
    header, claims = _unsigned_parts(await emulator.access_token(BUYER))
    del header["kid"]
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.c2ln"

    assert await _reason(verifier, token) == "unknown_kid"


async def test_legacy_hs256_supabase_token_is_accepted(
    verifier: TokenVerifier, emulator: EmulatorClient
) -> None:
    token = await emulator.issue_token("admin@crowdify.test", alg="HS256")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"

    principal = await verifier.verify(token)

    assert (principal.user_id, principal.role, principal.token_kind) == (ADMIN_ID, "admin", "supabase")


async def test_legacy_hs256_token_is_refused_when_no_legacy_secret_is_configured(
    settings_without_legacy_secret: ServiceSettings, emulator: EmulatorClient
) -> None:
    verifier = TokenVerifier(settings_without_legacy_secret)
    try:
        token = await emulator.issue_token(BUYER, alg="HS256")
        assert await _reason(verifier, token) == "alg_not_allowed"
    finally:
        await verifier.aclose()


async def test_legacy_hs256_token_is_refused_when_the_legacy_path_is_switched_off(
    emulator_url: str, emulator: EmulatorClient
) -> None:
    # The secret is still in the environment (and right), but SUPABASE_LEGACY_HS256=false wins.
    settings = make_settings(emulator_url).model_copy(update={"supabase_legacy_hs256": False})
    verifier = TokenVerifier(settings)
    try:
        token = await emulator.issue_token(BUYER, alg="HS256")
        assert await _reason(verifier, token) == "alg_not_allowed"
        assert (await verifier.verify(await emulator.access_token(BUYER))).token_kind == "supabase"
    finally:
        await verifier.aclose()


@pytest.mark.parametrize("kind", ["anon", "service_role"])
async def test_supabase_api_keys_are_not_user_tokens(
    verifier: TokenVerifier, emulator: EmulatorClient, kind: str
) -> None:
    api_key = (await emulator.api_keys())[kind]
    _, claims = _unsigned_parts(api_key)
    assert claims["iss"] == "supabase" and "sub" not in claims  # the real shape of these keys

    assert await _reason(verifier, api_key) == "not_a_user_token"


async def test_asymmetric_token_claiming_the_backend_issuer_is_rejected_before_any_fetch(
    verifier: TokenVerifier, emulator: EmulatorClient, request_log: Any
) -> None:
    token = await emulator.issue_token(BUYER, claims={"iss": "crowdify", "role": "admin"})

    assert await _reason(verifier, token) == "wrong_issuer"
    assert request_log.jwks_fetches == 0

"""Backend tokens: what issue_backend_token signs and what the verifier takes from them."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from crowdify.auth import AuthError, TokenVerifier, issue_backend_token
from crowdify.settings import ServiceSettings


@pytest.fixture
def emulator_url() -> str:
    """Backend tokens never need Supabase: point the verifier at an address nothing answers."""
    return "http://127.0.0.1:9"


@pytest.fixture
def secret(settings: ServiceSettings) -> str:
    return settings.jwt_secret.get_secret_value()


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "crowdify",
        "sub": "device-7",
        "role": "scanner",
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


async def test_issued_token_is_accepted_with_its_role_and_email(
    verifier: TokenVerifier, secret: str, request_log: Any
) -> None:
    token = issue_backend_token(secret, subject="device-7", role="scanner", email="door@crowdify.test")

    principal = await verifier.verify(token)

    assert request_log.paths == []  # no JWKS round trip for our own tokens
    assert (principal.user_id, principal.role, principal.email) == (
        "device-7",
        "scanner",
        "door@crowdify.test",
    )
    assert principal.token_kind == "backend"
    assert principal.is_staff and not principal.is_admin


def test_issued_token_has_the_documented_claims(secret: str) -> None:
    before = int(time.time())
    token = issue_backend_token(
        secret, subject="svc-purchase", role="admin", ttl_seconds=120, extra={"scope": "x"}
    )

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, secret, algorithms=["HS256"])

    assert header["alg"] == "HS256"
    assert claims["iss"] == "crowdify" and claims["sub"] == "svc-purchase" and claims["role"] == "admin"
    assert claims["exp"] - claims["iat"] == 120 and claims["iat"] >= before
    assert claims["scope"] == "x" and "email" not in claims
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert (
        claims["jti"]
        != jwt.decode(
            issue_backend_token(secret, subject="svc-purchase", role="admin"), secret, algorithms=["HS256"]
        )["jti"]
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "superuser"}, "unknown role"),
        ({"role": "authenticated"}, "unknown role"),
        ({"subject": ""}, "subject"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"extra": {"role": "admin"}}, "extra may not set"),
        ({"extra": {"iss": "supabase"}}, "extra may not set"),
    ],
)
def test_issue_refuses_bad_arguments(secret: str, kwargs: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"subject": "s", "role": "user", **kwargs}
    with pytest.raises(ValueError, match=message):
        issue_backend_token(secret, **arguments)


async def test_expired_backend_token_is_rejected(verifier: TokenVerifier, secret: str) -> None:
    now = int(time.time())
    token = jwt.encode(_claims(iat=now - 120, exp=now - 60), secret, algorithm="HS256")

    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert caught.value.reason == "expired"


async def test_backend_token_signed_with_another_secret_is_rejected(verifier: TokenVerifier) -> None:
    token = issue_backend_token("somebody-elses-secret-0123456789abcdef", subject="x", role="admin")

    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert caught.value.reason == "bad_signature"


async def test_backend_token_signed_with_the_supabase_secret_is_rejected(
    verifier: TokenVerifier, settings: ServiceSettings
) -> None:
    assert settings.supabase_jwt_secret is not None
    token = jwt.encode(
        _claims(role="admin"), settings.supabase_jwt_secret.get_secret_value(), algorithm="HS256"
    )

    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert caught.value.reason == "bad_signature"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"role": "superuser"}, "unknown_role"),
        ({"role": "authenticated"}, "unknown_role"),
        ({"role": None}, "missing_claim"),
        ({"sub": None}, "missing_claim"),
        ({"sub": ""}, "missing_claim"),
        ({"exp": None}, "missing_claim"),
        ({"iat": None}, "missing_claim"),
        ({"aud": "authenticated"}, "wrong_audience"),
        ({"iss": "crowdify-staging"}, "wrong_issuer"),
        ({"iat": int(time.time()) + 3600}, "not_yet_valid"),
    ],
)
async def test_backend_token_with_bad_claims_is_rejected(
    verifier: TokenVerifier, secret: str, overrides: dict[str, Any], reason: str
) -> None:
    token = jwt.encode(_claims(**overrides), secret, algorithm="HS256")

    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert caught.value.reason == reason


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
async def test_other_hmac_algorithms_are_not_accepted(verifier: TokenVerifier, secret: str, alg: str) -> None:
    token = jwt.encode(_claims(), secret + "-long-enough-for-hs512-" * 3, algorithm=alg)

    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert caught.value.reason == "alg_not_allowed"


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "not-a-jwt",
        "a.b.c",
        "eyJhbGciOiJIUzI1NiJ9.bm90LWpzb24.c2ln",  # claims are not JSON
        "WyJIUzI1NiJd.e30.c2ln",  # the header is a JSON array
        "eyJhbGciOiJIUzI1NiJ9.e30.c2ln.c2ln",  # four segments
        "eyJhbGciOiJIUzI1NiJ9.ñ.c2ln",  # not ASCII
    ],
)
async def test_garbage_is_malformed(verifier: TokenVerifier, garbage: str) -> None:
    with pytest.raises(AuthError) as caught:
        await verifier.verify(garbage)
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize("position", [0, 1, 2])
async def test_a_character_outside_base64url_in_any_segment_is_refused(
    verifier: TokenVerifier, secret: str, position: int
) -> None:
    # The key and rules are picked by a lenient read; the check that follows parses strictly.
    segments = jwt.encode(_claims(), secret, algorithm="HS256").split(".")
    segments[position] = segments[position][:4] + "*" + segments[position][4:]

    with pytest.raises(AuthError) as caught:
        await verifier.verify(".".join(segments))
    assert caught.value.reason == "malformed"

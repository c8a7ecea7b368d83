"""The Supabase Auth emulator over real HTTP: session shape, errors, JWKS, rotation, knobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from crowdify.auth import TokenVerifier
from crowdify.settings import ServiceSettings
from supabase_emulator.testing import EmulatorClient, running_emulator
from supabase_emulator.users import ADMIN_ID, BUYER_ID, COORDINATOR_ID, SCANNER_ID

# The claims a real Supabase access token always carries (docs/integrations.md 2.1), plus the
# optional ones Crowdify reads.
SUPABASE_CLAIMS = {
    "iss", "aud", "exp", "iat", "sub", "email", "phone", "role", "aal", "amr", "session_id",
    "is_anonymous", "app_metadata", "user_metadata",
}  # fmt: skip


async def password_grant(http: httpx.AsyncClient, email: str, password: str = "crowdify") -> httpx.Response:
    return await http.post(
        "/auth/v1/token", params={"grant_type": "password"}, json={"email": email, "password": password}
    )


def verifier_for(emulator_url: str) -> TokenVerifier:
    return TokenVerifier(
        ServiceSettings(
            JWT_SECRET="x" * 32, SUPABASE_URL=emulator_url, SUPABASE_JWT_SECRET=None, CROWDIFY_ENV="test"
        )
    )


async def test_password_grant_returns_a_supabase_session(http: httpx.AsyncClient, emulator_url: str) -> None:
    response = await password_grant(http, "admin@crowdify.test")

    assert response.status_code == 200
    session = response.json()
    assert session["token_type"] == "bearer"
    assert session["expires_in"] == 3600
    assert isinstance(session["refresh_token"], str) and session["refresh_token"]
    user = session["user"]
    assert user["id"] == ADMIN_ID and user["email"] == "admin@crowdify.test"
    assert user["aud"] == "authenticated" and user["role"] == "authenticated"
    assert user["app_metadata"] == {"provider": "email", "providers": ["email"], "role": "admin"}
    assert user["user_metadata"] == {} and user["is_anonymous"] is False

    header = jwt.get_unverified_header(session["access_token"])
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    assert header["alg"] == "ES256" and header["typ"] == "JWT"
    assert set(claims) == SUPABASE_CLAIMS
    assert claims["iss"] == f"{emulator_url}/auth/v1"
    assert claims["aud"] == "authenticated" and claims["role"] == "authenticated"
    assert claims["sub"] == ADMIN_ID and claims["email"] == "admin@crowdify.test" and claims["phone"] == ""
    assert claims["aal"] == "aal1" and claims["amr"][0]["method"] == "password"
    assert claims["is_anonymous"] is False
    assert claims["app_metadata"]["role"] == "admin" and claims["user_metadata"] == {}
    assert claims["exp"] == session["expires_at"] == claims["iat"] + 3600


async def test_token_kid_is_published_in_the_jwks(http: httpx.AsyncClient) -> None:
    token = (await password_grant(http, "buyer@crowdify.test")).json()["access_token"]
    jwks = (await http.get("/auth/v1/.well-known/jwks.json")).json()

    kid = jwt.get_unverified_header(token)["kid"]
    (key,) = [key for key in jwks["keys"] if key["kid"] == kid]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256"
    assert key["use"] == "sig" and key["key_ops"] == ["verify"]
    assert "d" not in key  # public half only
    jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"], audience="authenticated")


@pytest.mark.parametrize(
    ("email", "user_id", "role"),
    [
        ("admin@crowdify.test", ADMIN_ID, "admin"),
        ("coordinator@crowdify.test", COORDINATOR_ID, "coordinator"),
        ("scanner@crowdify.test", SCANNER_ID, "scanner"),
        ("buyer@crowdify.test", BUYER_ID, "user"),
    ],
)
async def test_seeded_users_verify_with_crowdify_auth(
    emulator: EmulatorClient, emulator_url: str, email: str, user_id: str, role: str
) -> None:
    verifier = verifier_for(emulator_url)
    try:
        principal = await verifier.verify(await emulator.access_token(email))
    finally:
        await verifier.aclose()

    assert (principal.user_id, principal.role, principal.email) == (user_id, role, email)


@pytest.mark.parametrize(
    ("email", "password"),
    [("admin@crowdify.test", "wrong"), ("nobody@crowdify.test", "crowdify"), ("admin@crowdify.test", "")],
)
async def test_wrong_credentials_get_supabases_invalid_grant(
    http: httpx.AsyncClient, email: str, password: str
) -> None:
    response = await password_grant(http, email, password)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["error_description"] == "Invalid login credentials"
    assert body["error_code"] == "invalid_credentials"


async def test_email_is_matched_case_insensitively(http: httpx.AsyncClient) -> None:
    response = await password_grant(http, "Admin@Crowdify.Test")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == ADMIN_ID


@pytest.mark.parametrize(
    ("params", "body", "error"),
    [
        ({"grant_type": "password"}, {"email": "admin@crowdify.test"}, "invalid_request"),
        ({"grant_type": "password"}, None, "invalid_request"),
        ({"grant_type": "client_credentials"}, {}, "unsupported_grant_type"),
        ({}, {}, "unsupported_grant_type"),
    ],
)
async def test_bad_token_requests_are_400(
    http: httpx.AsyncClient, params: dict[str, str], body: Any, error: str
) -> None:
    response = await http.post("/auth/v1/token", params=params, json=body)

    assert response.status_code == 400
    assert response.json()["error"] == error


async def test_refresh_grant_continues_the_session_and_spends_the_refresh_token(
    http: httpx.AsyncClient,
) -> None:
    first = (await password_grant(http, "coordinator@crowdify.test")).json()

    refreshed = await http.post(
        "/auth/v1/token",
        params={"grant_type": "refresh_token"},
        json={"refresh_token": first["refresh_token"]},
    )
    replayed = await http.post(
        "/auth/v1/token",
        params={"grant_type": "refresh_token"},
        json={"refresh_token": first["refresh_token"]},
    )

    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"]
    old_claims = jwt.decode(first["access_token"], options={"verify_signature": False})
    new_claims = jwt.decode(second["access_token"], options={"verify_signature": False})
    assert new_claims["session_id"] == old_claims["session_id"]
    assert new_claims["sub"] == COORDINATOR_ID
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_grant"


async def test_logout_ends_the_session_so_its_refresh_token_stops_working(http: httpx.AsyncClient) -> None:
    session = (await password_grant(http, "buyer@crowdify.test")).json()
    other = (await password_grant(http, "buyer@crowdify.test")).json()

    logout = await http.post(
        "/auth/v1/logout", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    after = await http.post(
        "/auth/v1/token",
        params={"grant_type": "refresh_token"},
        json={"refresh_token": session["refresh_token"]},
    )
    untouched = await http.post(
        "/auth/v1/token",
        params={"grant_type": "refresh_token"},
        json={"refresh_token": other["refresh_token"]},
    )
    unsigned = await http.post("/auth/v1/logout")

    assert logout.status_code == 204
    assert after.status_code == 400
    assert untouched.status_code == 200
    assert unsigned.status_code == 401


async def test_user_endpoint_returns_the_bearers_user(http: httpx.AsyncClient) -> None:
    token = (await password_grant(http, "scanner@crowdify.test")).json()["access_token"]

    response = await http.get("/auth/v1/user", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json()["id"] == SCANNER_ID
    assert response.json()["app_metadata"]["role"] == "scanner"


async def test_user_endpoint_refuses_missing_and_bad_tokens(
    http: httpx.AsyncClient, emulator: EmulatorClient
) -> None:
    token = await emulator.access_token("buyer@crowdify.test")
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    expired = await emulator.issue_token("buyer@crowdify.test", expires_in=-10)

    assert (await http.get("/auth/v1/user")).status_code == 401
    for bad in (tampered, expired, "nonsense"):
        response = await http.get("/auth/v1/user", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 403, bad
        assert response.json()["error_code"] == "bad_jwt"


async def test_rotation_keeps_old_keys_published_and_old_tokens_valid(state_dir: Path) -> None:
    with running_emulator(state_dir) as url:
        async with EmulatorClient(url) as emulator, httpx.AsyncClient(base_url=url) as http:
            old_token = await emulator.access_token("buyer@crowdify.test")
            old_kid = jwt.get_unverified_header(old_token)["kid"]

            new_kid = await emulator.rotate_key()
            new_token = await emulator.access_token("buyer@crowdify.test")

            assert new_kid != old_kid
            assert jwt.get_unverified_header(new_token)["kid"] == new_kid
            assert [key["kid"] for key in (await emulator.jwks())["keys"]] == [old_kid, new_kid]
            for token in (old_token, new_token):
                response = await http.get("/auth/v1/user", headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200


async def test_signing_keys_survive_a_restart(state_dir: Path) -> None:
    with running_emulator(state_dir) as url:
        async with EmulatorClient(url) as emulator:
            await emulator.rotate_key()
            token = await emulator.access_token("buyer@crowdify.test")
            kids_before = [key["kid"] for key in (await emulator.jwks())["keys"]]

    with running_emulator(state_dir) as url:
        async with EmulatorClient(url) as emulator:
            kids_after = [key["kid"] for key in (await emulator.jwks())["keys"]]
            fresh = await emulator.access_token("buyer@crowdify.test")

    assert kids_after == kids_before and len(kids_after) == 2
    assert (
        jwt.get_unverified_header(fresh)["kid"] == jwt.get_unverified_header(token)["kid"] == kids_before[-1]
    )
    assert (state_dir / "signing-keys.json").stat().st_mode & 0o077 == 0  # private keys: owner only


async def test_added_users_can_sign_in_with_their_role(
    http: httpx.AsyncClient, emulator: EmulatorClient
) -> None:
    created = await emulator.add_user("door2@crowdify.test", role="scanner", password="s3cret-door")

    session = await emulator.sign_in("door2@crowdify.test", "s3cret-door")

    assert session["user"]["id"] == created["id"]
    claims = jwt.decode(session["access_token"], options={"verify_signature": False})
    assert claims["app_metadata"]["role"] == "scanner"
    duplicate = await http.post("/__emulator/users", json={"email": "door2@crowdify.test"})
    assert duplicate.status_code == 422
    assert duplicate.json()["error_code"] == "email_exists"


async def test_added_user_without_role_gets_the_seed_password_and_a_user_id(emulator: EmulatorClient) -> None:
    created = await emulator.add_user("fan@crowdify.test", user_metadata={"name": "Fan"})

    session = await emulator.sign_in("fan@crowdify.test")

    assert "role" not in session["user"]["app_metadata"]
    assert session["user"]["user_metadata"] == {"name": "Fan"}
    assert session["user"]["id"] == created["id"] and len(created["id"]) == 36


async def test_token_knob_overrides_and_removes_claims(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/__emulator/tokens",
        json={
            "email": "buyer@crowdify.test",
            "claims": {"user_metadata": {"role": "admin"}, "aud": "elsewhere", "sub": None},
            "expires_in": -5,
            "kid": "made-up",
        },
    )

    assert response.status_code == 200
    token = response.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["user_metadata"] == {"role": "admin"} and claims["aud"] == "elsewhere"
    assert "sub" not in claims and claims["exp"] == claims["iat"] - 5
    assert jwt.get_unverified_header(token)["kid"] == "made-up"


async def test_token_knob_can_sign_with_the_legacy_secret(http: httpx.AsyncClient, emulator_url: str) -> None:
    response = await http.post("/__emulator/tokens", json={"email": "buyer@crowdify.test", "alg": "HS256"})

    token = response.json()["access_token"]
    claims = jwt.decode(
        token,
        "test-supabase-legacy-secret-0123456789",
        algorithms=["HS256"],
        audience="authenticated",
        issuer=f"{emulator_url}/auth/v1",
    )
    assert claims["sub"] == BUYER_ID


async def test_token_knob_for_an_unknown_user_is_404(http: httpx.AsyncClient) -> None:
    response = await http.post("/__emulator/tokens", json={"email": "ghost@crowdify.test"})

    assert response.status_code == 404


async def test_api_keys_have_supabases_legacy_shape(emulator: EmulatorClient) -> None:
    keys = await emulator.api_keys()

    for role in ("anon", "service_role"):
        claims = jwt.decode(keys[role], "test-supabase-legacy-secret-0123456789", algorithms=["HS256"])
        assert claims["iss"] == "supabase" and claims["role"] == role
        assert "sub" not in claims and "aud" not in claims

"""Door-device tokens open only the door: validation-svc's verifier (and the edge's, which passes
them on) accepts them; every other service's refuses them, revoked or not."""

from __future__ import annotations

import time
import uuid

import jwt
import pytest

from crowdify.auth import DEVICE_AUDIENCE, AuthError, TokenVerifier, issue_backend_token, issue_device_token
from crowdify.settings import ServiceSettings

from .conftest import make_settings


class DoorSettings(ServiceSettings):
    """What validation-svc's settings say about audiences."""

    @property
    def accepted_token_audiences(self) -> tuple[str, ...]:
        return (DEVICE_AUDIENCE,)


@pytest.fixture
def emulator_url() -> str:
    return "http://127.0.0.1:9"  # backend tokens never need Supabase


def door_verifier(emulator_url: str) -> TokenVerifier:
    settings = make_settings(emulator_url)
    return TokenVerifier(DoorSettings(**{**settings.model_dump(by_alias=True), "CROWDIFY_ENV": "test"}))


def device_token(settings: ServiceSettings) -> tuple[str, str, str]:
    device_id, event_id = str(uuid.uuid4()), str(uuid.uuid4())
    token = issue_device_token(
        settings.jwt_secret.get_secret_value(), device_id=device_id, event_id=event_id, ttl_seconds=60
    )
    return token, device_id, event_id


async def test_a_device_token_carries_the_door_audience_and_its_one_event(settings: ServiceSettings) -> None:
    token, device_id, event_id = device_token(settings)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == DEVICE_AUDIENCE
    assert (claims["device_id"], claims["event_id"], claims["role"]) == (device_id, event_id, "scanner")


async def test_every_other_service_refuses_a_device_token(
    verifier: TokenVerifier, settings: ServiceSettings
) -> None:
    token, _, _ = device_token(settings)
    with pytest.raises(AuthError) as refused:
        await verifier.verify(token)
    assert refused.value.reason == "wrong_audience"


async def test_the_door_accepts_device_tokens_and_still_person_tokens(
    emulator_url: str, settings: ServiceSettings
) -> None:
    door = door_verifier(emulator_url)
    token, device_id, event_id = device_token(settings)
    principal = await door.verify(token)
    assert (principal.user_id, principal.role, principal.claims["event_id"]) == (
        f"device:{device_id}",
        "scanner",
        event_id,
    )
    coordinator = issue_backend_token(
        settings.jwt_secret.get_secret_value(), subject="c-1", role="coordinator"
    )
    assert (await door.verify(coordinator)).role == "coordinator"
    await door.aclose()


@pytest.mark.parametrize("audience", ["crowdify:admin", "authenticated"])
async def test_the_door_refuses_other_audiences(
    emulator_url: str, settings: ServiceSettings, audience: str
) -> None:
    door = door_verifier(emulator_url)
    token = issue_backend_token(
        settings.jwt_secret.get_secret_value(), subject="x", role="scanner", audience=audience
    )
    with pytest.raises(AuthError) as refused:
        await door.verify(token)
    assert refused.value.reason == "wrong_audience"
    await door.aclose()


async def test_a_device_token_without_an_audience_is_refused_everywhere(
    emulator_url: str, verifier: TokenVerifier, settings: ServiceSettings
) -> None:
    # How device tokens looked before audiences: a scanner token with a device_id claim.
    now = int(time.time())
    legacy = jwt.encode(
        {
            "iss": "crowdify",
            "sub": "device:1",
            "role": "scanner",
            "iat": now,
            "exp": now + 60,
            "device_id": str(uuid.uuid4()),
            "event_id": str(uuid.uuid4()),
        },
        settings.jwt_secret.get_secret_value(),
        algorithm="HS256",
    )
    door = door_verifier(emulator_url)
    for each in (verifier, door):
        with pytest.raises(AuthError) as refused:
            await each.verify(legacy)
        assert refused.value.reason == "wrong_audience"
    await door.aclose()


async def test_outside_development_people_need_supabase_sessions_and_devices_their_audience(
    emulator_url: str, settings: ServiceSettings
) -> None:
    secret = settings.jwt_secret.get_secret_value()
    production = DoorSettings(
        _env_file=None,
        CROWDIFY_ENV="production",
        JWT_SECRET=secret,
        SUPABASE_URL=emulator_url,
        SUPABASE_LEGACY_HS256="false",
    )
    door = TokenVerifier(production)
    try:
        person = issue_backend_token(secret, subject="someone", role="admin")
        with pytest.raises(AuthError) as refused:
            await door.verify(person)
        assert refused.value.reason == "wrong_audience"
        token, device_id, _ = device_token(settings)
        assert (await door.verify(token)).user_id == f"device:{device_id}"
    finally:
        await door.aclose()

"""Where the door's public keys and its code digests' key come from."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from crowdify.settings import DEV_CODE_DIGEST_KEY, MissingSecretError
from crowdify.tickets import SigningKey, TicketSigningSettings
from validation_svc.settings import ValidationSettings


def production(**values: str) -> ValidationSettings:
    secrets = {"jwt_secret": "x" * 48, "supabase_jwt_secret": "y" * 48, "code_digest_key": "z" * 40}
    return ValidationSettings(environment="production", **(secrets | values))  # type: ignore[arg-type]


def test_public_keys_come_from_the_jwks_setting() -> None:
    key = SigningKey.generate("K2026A")
    settings = production(ticket_public_keys=json.dumps({"keys": [key.public_jwk()]}))
    assert settings.ticket_keyring().kids == ("K2026A",)


def test_development_derives_them_from_the_development_signing_keys() -> None:
    keyring = ValidationSettings(environment="development").ticket_keyring()
    assert set(keyring.kids) == set(TicketSigningSettings().ticket_keyring().kids)


def test_production_without_public_keys_refuses_to_start() -> None:
    with pytest.raises(MissingSecretError):
        production().ticket_keyring()


def test_malformed_jwks_is_refused() -> None:
    with pytest.raises(ValueError):
        ValidationSettings(ticket_public_keys="not json").ticket_keyring()


def test_production_refuses_the_development_digest_key() -> None:
    with pytest.raises(ValueError, match="VALIDATION_SVC_CODE_DIGEST_KEY"):
        production(code_digest_key=DEV_CODE_DIGEST_KEY)


@pytest.mark.parametrize("length", [31, 65])
def test_a_digest_key_outside_32_to_64_bytes_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="32 to 64 bytes"):
        ValidationSettings(code_digest_key=SecretStr("k" * length))

"""Where the door's public keys come from."""

from __future__ import annotations

import json

import pytest
from pydantic import SecretStr

from crowdify.settings import MissingSecretError
from crowdify.tickets import SigningKey, TicketSigningSettings
from validation_svc.settings import ValidationSettings


def production(**values: str) -> ValidationSettings:
    return ValidationSettings(
        environment="production",
        jwt_secret=SecretStr("x" * 48),
        supabase_jwt_secret=SecretStr("y" * 48),
        **values,  # type: ignore[arg-type]
    )


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

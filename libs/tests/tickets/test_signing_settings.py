"""Ticket signing settings: the development key works in development and nowhere else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from crowdify.settings import ServiceSettings
from crowdify.tickets import SigningKey, TicketClaims, TicketSigningSettings, sign_ticket, verify_ticket
from crowdify.tickets.settings import DEV_TICKET_SIGNING_KEY, DEV_TICKET_SIGNING_KEYS, DEV_TICKET_SIGNING_KID

CLAIMS = TicketClaims(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), datetime(2025, 6, 1, tzinfo=UTC))
REAL_ENVIRONMENTS = ["staging", "production"]


def settings(**env) -> TicketSigningSettings:
    return TicketSigningSettings(_env_file=None, **env)


@pytest.fixture(autouse=True)
def _no_ticket_environment(monkeypatch):
    for name in ("CROWDIFY_ENV", "TICKET_SIGNING_KEYS", "TICKET_SIGNING_KEY_FILE", "TICKET_SIGNING_KID"):
        monkeypatch.delenv(name, raising=False)


def test_development_signs_with_the_marked_development_key():
    config = settings(CROWDIFY_ENV="development")
    assert config.ticket_signing_key.kid == DEV_TICKET_SIGNING_KID == "DEV"
    assert config.ticket_signing_key.private_text() == DEV_TICKET_SIGNING_KEY
    code = sign_ticket(CLAIMS, config.ticket_signing_key)
    assert verify_ticket(code, config.ticket_keyring()) == CLAIMS


def test_a_forgotten_environment_is_production_and_refuses_the_development_key():
    with pytest.raises(ValidationError, match="development ticket key when CROWDIFY_ENV=production"):
        settings()


@pytest.mark.parametrize("environment", REAL_ENVIRONMENTS)
def test_real_environments_refuse_the_development_key_by_default(environment):
    with pytest.raises(ValidationError, match="development ticket key"):
        settings(CROWDIFY_ENV=environment)


@pytest.mark.parametrize("environment", REAL_ENVIRONMENTS)
def test_real_environments_refuse_the_development_key_among_others(environment):
    real = SigningKey.generate("K2025A")
    with pytest.raises(ValidationError, match="development ticket key"):
        settings(
            CROWDIFY_ENV=environment,
            TICKET_SIGNING_KEYS=f"K2025A:{real.private_text()},{DEV_TICKET_SIGNING_KEYS}",
        )


def test_real_environments_refuse_the_development_key_under_another_kid():
    with pytest.raises(ValidationError, match="development ticket key"):
        settings(CROWDIFY_ENV="production", TICKET_SIGNING_KEYS=f"K1:{DEV_TICKET_SIGNING_KEY}")


def test_real_environments_refuse_no_key_at_all():
    with pytest.raises(ValidationError, match="names no key"):
        settings(CROWDIFY_ENV="production", TICKET_SIGNING_KEYS="")


def test_production_with_real_keys_signs_with_the_newest_and_verifies_all():
    new, old = SigningKey.generate("K2025B"), SigningKey.generate("K2025A")
    config = settings(
        CROWDIFY_ENV="production",
        TICKET_SIGNING_KEYS=f"K2025B:{new.private_text()},K2025A:{old.private_text()}",
    )
    assert config.ticket_signing_key.kid == "K2025B"
    assert [k.kid for k in config.ticket_signing_key_list] == ["K2025B", "K2025A"]
    assert config.ticket_keyring().to_jwks() == {"keys": [new.public_jwk(), old.public_jwk()]}
    old_code = sign_ticket(CLAIMS, old)
    assert verify_ticket(old_code, config.ticket_keyring()) == CLAIMS


def test_an_explicit_kid_chooses_the_signing_key():
    new, old = SigningKey.generate("K2025B"), SigningKey.generate("K2025A")
    config = settings(
        TICKET_SIGNING_KEYS=f"K2025A:{old.private_text()},K2025B:{new.private_text()}",
        TICKET_SIGNING_KID="K2025B",
    )
    assert config.ticket_signing_key.kid == "K2025B"
    assert config.ticket_keyring().kids == ("K2025B", "K2025A")


def test_an_unknown_explicit_kid_is_refused():
    with pytest.raises(ValidationError, match="TICKET_SIGNING_KID=K9"):
        settings(TICKET_SIGNING_KID="K9")


def test_the_environment_is_read(monkeypatch):
    key = SigningKey.generate("K7")
    monkeypatch.setenv("CROWDIFY_ENV", "production")
    monkeypatch.setenv("TICKET_SIGNING_KEYS", f"K7:{key.private_text()}")
    assert TicketSigningSettings(_env_file=None).ticket_signing_key.kid == "K7"


def test_a_key_file_with_entries(tmp_path):
    new, old = SigningKey.generate("K2"), SigningKey.generate("K1")
    path = tmp_path / "ticket-keys"
    path.write_text(f"# ticket keys, newest first\nK2:{new.private_text()}\nK1:{old.private_text()}\n")
    config = settings(CROWDIFY_ENV="production", TICKET_SIGNING_KEY_FILE=str(path))
    assert config.ticket_signing_key.kid == "K2"
    assert config.ticket_keyring().kids == ("K2", "K1")


def test_a_key_file_holding_a_pem_needs_its_kid(tmp_path):
    key = SigningKey.generate("K3")
    path = tmp_path / "ticket.pem"
    path.write_text(key.private_pem())
    with pytest.raises(ValidationError, match="TICKET_SIGNING_KID"):
        settings(CROWDIFY_ENV="production", TICKET_SIGNING_KEY_FILE=str(path))
    config = settings(CROWDIFY_ENV="production", TICKET_SIGNING_KEY_FILE=str(path), TICKET_SIGNING_KID="K3")
    assert config.ticket_signing_key.public_jwk() == key.public_jwk()


def test_a_missing_key_file_is_refused(tmp_path):
    with pytest.raises(ValidationError, match="cannot be read: FileNotFoundError"):
        settings(TICKET_SIGNING_KEY_FILE=str(tmp_path / "absent"))


def test_keys_and_key_file_together_are_refused(tmp_path):
    key = SigningKey.generate("K1")
    path = tmp_path / "keys"
    path.write_text(f"K1:{key.private_text()}")
    with pytest.raises(ValidationError, match="not both"):
        settings(TICKET_SIGNING_KEYS=f"K1:{key.private_text()}", TICKET_SIGNING_KEY_FILE=str(path))


def test_a_development_key_in_a_key_file_is_refused_too(tmp_path):
    path = tmp_path / "keys"
    path.write_text(DEV_TICKET_SIGNING_KEYS + "\n")
    with pytest.raises(ValidationError, match="development ticket key"):
        settings(CROWDIFY_ENV="production", TICKET_SIGNING_KEY_FILE=str(path))


def test_errors_never_print_the_configured_keys():
    real = SigningKey.generate("K1")
    secret = real.private_text()
    for env in (
        {"CROWDIFY_ENV": "production", "TICKET_SIGNING_KEYS": f"K1:{secret},{DEV_TICKET_SIGNING_KEYS}"},
        {"TICKET_SIGNING_KEYS": f"K1:{secret[:-4]}"},  # broken key
        {"TICKET_SIGNING_KEYS": f"K1:{secret}", "TICKET_SIGNING_KID": "K2"},
    ):
        with pytest.raises(ValidationError) as caught:
            settings(**env)
        message = str(caught.value)
        assert secret[:20] not in message
        assert DEV_TICKET_SIGNING_KEY not in message


def test_repr_never_shows_the_keys():
    config = settings(CROWDIFY_ENV="test")
    assert DEV_TICKET_SIGNING_KEY not in repr(config)
    assert DEV_TICKET_SIGNING_KEY not in str(config.model_dump())


class CombinedSettings(ServiceSettings, TicketSigningSettings):
    """How the issuer combines it with the shared service settings."""


def test_combines_with_service_settings():
    assert CombinedSettings(_env_file=None, CROWDIFY_ENV="test").ticket_signing_key.kid == "DEV"
    real = SigningKey.generate("K1")
    with pytest.raises(ValidationError, match="development ticket key"):
        CombinedSettings(
            _env_file=None,
            CROWDIFY_ENV="production",
            JWT_SECRET="a-real-backend-secret-0123456789abcdef",
            SUPABASE_JWT_SECRET=None,
        )
    combined = CombinedSettings(
        _env_file=None,
        CROWDIFY_ENV="production",
        JWT_SECRET="a-real-backend-secret-0123456789abcdef",
        SUPABASE_JWT_SECRET=None,
        TICKET_SIGNING_KEYS=f"K1:{real.private_text()}",
    )
    assert combined.ticket_signing_key.kid == "K1"
    assert combined.service_name == "crowdify"
    with pytest.raises(ValidationError, match="JWT_SECRET") as caught:
        CombinedSettings(
            _env_file=None, CROWDIFY_ENV="production", TICKET_SIGNING_KEYS=f"K1:{real.private_text()}"
        )
    assert real.private_text() not in str(caught.value)

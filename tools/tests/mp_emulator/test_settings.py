"""Settings names and defaults (the Makefile, Procfile and .env.example rely on them)."""

from __future__ import annotations

import pytest

from mp_emulator.settings import EmulatorSettings

NAMES = (
    "MERCADOPAGO_API_BASE_URL", "MERCADOPAGO_WEBHOOK_SECRET", "MP_EMULATOR_PORT",
    "MP_EMULATOR_RETRY_SCHEDULE", "MP_EMULATOR_DUPLICATES", "MP_EMULATOR_NOTIFICATION_FORMAT",
)  # fmt: skip


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults(clean_env) -> None:
    settings = EmulatorSettings(_env_file=None)
    assert settings.base_url == "http://localhost:8200"
    assert settings.webhook_secret.get_secret_value() == "dev-mp-webhook-secret"
    assert (settings.host, settings.port) == ("127.0.0.1", 8200)
    assert settings.delivery_timeout_seconds == 22.0
    assert settings.duplicates == 1 and settings.notification_format == "webhook"


def test_environment(clean_env) -> None:
    clean_env.setenv("MERCADOPAGO_API_BASE_URL", "http://mp-emulator:8080/")
    clean_env.setenv("MERCADOPAGO_WEBHOOK_SECRET", "s3cret")
    clean_env.setenv("MP_EMULATOR_PORT", "8080")
    clean_env.setenv("MP_EMULATOR_RETRY_SCHEDULE", "1, 2.5")
    clean_env.setenv("MP_EMULATOR_DUPLICATES", "2")
    clean_env.setenv("MP_EMULATOR_NOTIFICATION_FORMAT", "both")

    settings = EmulatorSettings(_env_file=None)

    assert settings.base_url == "http://mp-emulator:8080"
    assert settings.webhook_secret.get_secret_value() == "s3cret" and settings.port == 8080
    assert settings.retry_schedule == [1.0, 2.5]
    assert settings.duplicates == 2 and settings.notification_format == "both"


@pytest.mark.parametrize("raw", ["", "[]"])
def test_retries_can_be_switched_off(clean_env, raw: str) -> None:
    clean_env.setenv("MP_EMULATOR_RETRY_SCHEDULE", raw)
    assert EmulatorSettings(_env_file=None).retry_schedule == []

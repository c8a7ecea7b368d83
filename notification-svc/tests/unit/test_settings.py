"""Settings names and defaults (the Procfile, gateway and .env.example rely on them)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notification_svc.settings import NotificationSettings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NOTIFICATION_SVC_EVENTS_QUEUE", "NOTIFICATION_SVC_WORKER_METRICS_PORT", "EMAIL_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    settings = NotificationSettings(_env_file=None, CROWDIFY_ENV="test")  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+asyncpg://notification_svc@127.0.0.1:5432/crowdify"
    assert (settings.events_queue, settings.worker_metrics_port) == ("notification-svc.events", 9104)
    assert (settings.email_provider, settings.db_schema, settings.pdf_wait_seconds) == (
        "smtp",
        "notification",
        60,
    )
    assert settings.sender_domain == "crowdify.cl"


def test_the_names_operators_know(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "smtp.example.cl")
    monkeypatch.setenv("SMTP_PORT", "587")
    monkeypatch.setenv("SMTP_USER", "crowdify")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("NOTIFICATION_SVC_PDF_WAIT_SECONDS", "90")
    settings = NotificationSettings(_env_file=None, CROWDIFY_ENV="test")  # type: ignore[call-arg]
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_user) == (
        "smtp.example.cl",
        587,
        "crowdify",
    )
    assert settings.smtp_password is not None and settings.smtp_password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)
    assert settings.pdf_wait_seconds == 90


def test_sendgrid_needs_its_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_PROVIDER", "sendgrid")
    monkeypatch.delenv("EMAIL_API_KEY", raising=False)
    with pytest.raises(ValidationError, match="EMAIL_API_KEY is required"):
        NotificationSettings(_env_file=None, CROWDIFY_ENV="test")  # type: ignore[call-arg]
    monkeypatch.setenv("EMAIL_API_KEY", "SG.real-key")
    assert NotificationSettings(_env_file=None, CROWDIFY_ENV="test").email_provider == "sendgrid"  # type: ignore[call-arg]

"""Settings the platform wiring relies on, and secrets production refuses."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from crowdify.storage import ObjectStorageSettings
from pdf_svc.settings import PdfSettings


def test_defaults_the_platform_wiring_relies_on() -> None:
    settings = PdfSettings(_env_file=None, CROWDIFY_ENV="test")  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+asyncpg://pdf_svc@127.0.0.1:5432/crowdify"
    assert settings.db_schema == "pdf"
    assert settings.events_queue == "pdf-svc.events"
    assert (settings.worker_metrics_host, settings.worker_metrics_port) == ("127.0.0.1", 9105)


def test_names_come_from_the_pdf_svc_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PDF_SVC_EVENTS_QUEUE", "pdf-svc.other")
    monkeypatch.setenv("PDF_SVC_WORKER_METRICS_PORT", "0")
    monkeypatch.setenv("MINIO_BUCKET", "tickets-elsewhere")
    settings = PdfSettings(_env_file=None, CROWDIFY_ENV="test")  # type: ignore[call-arg]
    assert (settings.events_queue, settings.worker_metrics_port) == ("pdf-svc.other", 0)
    assert settings.storage.bucket == "tickets-elsewhere"


def production(storage: ObjectStorageSettings) -> PdfSettings:
    return PdfSettings(
        environment="production",
        jwt_secret=SecretStr("x" * 48),
        supabase_jwt_secret=SecretStr("y" * 48),
        storage=storage,
    )


def test_production_refuses_the_development_storage_secret() -> None:
    with pytest.raises(ValueError, match="MINIO_SECRET_KEY must be set to a real secret"):
        production(ObjectStorageSettings())
    assert production(ObjectStorageSettings(secret_key=SecretStr("a-real-one"))).storage.secret_key

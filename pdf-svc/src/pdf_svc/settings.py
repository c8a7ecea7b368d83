"""pdf-svc settings: the only place this service reads its environment."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from crowdify.settings import ServiceSettings
from crowdify.storage import DEV_MINIO_SECRET_KEY, ObjectStorageSettings

SCHEMA = "pdf"
DEFAULT_TIMEZONE = "America/Santiago"


class PdfSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "pdf-svc"
    db_schema: str = SCHEMA
    database_url: str = Field(
        default="postgresql+asyncpg://pdf_svc@127.0.0.1:5432/crowdify", alias="PDF_SVC_DATABASE_URL"
    )
    events_queue: str = Field(default="pdf-svc.events", alias="PDF_SVC_EVENTS_QUEUE")
    # Rendering is CPU work done in threads: a few messages at a time keep the pool and the
    # storage busy without piling up half-done orders.
    consumer_prefetch: int = Field(default=4, ge=1, alias="PDF_SVC_CONSUMER_PREFETCH")
    worker_metrics_host: str = Field(default="127.0.0.1", alias="PDF_SVC_WORKER_METRICS_HOST")
    # 0 turns the worker's /metrics endpoint off.
    worker_metrics_port: int = Field(default=9105, alias="PDF_SVC_WORKER_METRICS_PORT")

    # Object storage calls: short timeouts and no client-side retries, so an outage fails the
    # message fast and the consumer's retry tiers take over (the minio client's own defaults are
    # five retries and five-minute timeouts).
    storage_timeout_seconds: float = Field(default=5.0, gt=0, alias="PDF_SVC_STORAGE_TIMEOUT_SECONDS")
    # Objects written at once while storing an order's documents.
    storage_concurrency: int = Field(default=8, ge=1, le=64, alias="PDF_SVC_STORAGE_CONCURRENCY")
    # Consecutive storage failures that open the circuit breaker, and how long it stays open.
    storage_breaker_threshold: int = Field(default=5, ge=1, alias="PDF_SVC_STORAGE_BREAKER_THRESHOLD")
    storage_breaker_ttl_seconds: float = Field(
        default=10.0, gt=0, alias="PDF_SVC_STORAGE_BREAKER_TTL_SECONDS"
    )
    # Where the documents live (MINIO_* variables, shared with the services that read them).
    storage: ObjectStorageSettings = Field(default_factory=ObjectStorageSettings, exclude=True)

    def required_secrets(self) -> dict[str, tuple[SecretStr | None, str | None]]:
        return {
            **super().required_secrets(),
            "MINIO_SECRET_KEY": (self.storage.secret_key, DEV_MINIO_SECRET_KEY),
        }


@lru_cache
def get_settings() -> PdfSettings:
    return PdfSettings()

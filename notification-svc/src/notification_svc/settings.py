"""notification-svc settings: the only place this service reads its environment.

The email settings keep the names operators know from the monolith (``SMTP_HOST``, ``SMTP_PORT``,
``SMTP_USER``, ``SMTP_PASSWORD``, ``EMAIL_API_KEY``); everything else is prefixed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from crowdify.settings import MissingSecretError, ServiceSettings

SCHEMA = "notification"

EmailProviderName = Literal["smtp", "sendgrid"]


class NotificationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "notification-svc"
    db_schema: str = SCHEMA
    database_url: str = Field(
        default="postgresql+asyncpg://notification_svc@127.0.0.1:5432/crowdify",
        alias="NOTIFICATION_SVC_DATABASE_URL",
    )
    events_queue: str = Field(default="notification-svc.events", alias="NOTIFICATION_SVC_EVENTS_QUEUE")
    consumer_prefetch: int = Field(default=32, alias="NOTIFICATION_SVC_CONSUMER_PREFETCH")
    worker_metrics_host: str = Field(default="127.0.0.1", alias="NOTIFICATION_SVC_WORKER_METRICS_HOST")
    # 0 turns the worker's /metrics endpoint off.
    worker_metrics_port: int = Field(default=9104, alias="NOTIFICATION_SVC_WORKER_METRICS_PORT")

    # Where buyers download their documents when the email goes out without them (the gateway).
    public_base_url: str = Field(default="http://localhost:8000", alias="NOTIFICATION_SVC_PUBLIC_BASE_URL")
    timezone: str = Field(default="America/Santiago", alias="NOTIFICATION_SVC_TIMEZONE")
    email_from: str = Field(default="no-reply@crowdify.cl", alias="NOTIFICATION_SVC_EMAIL_FROM")
    email_from_name: str = Field(default="Crowdify", alias="NOTIFICATION_SVC_EMAIL_FROM_NAME")
    # How long after issuance the tickets email waits for its PDF before it goes with a link.
    pdf_wait_seconds: float = Field(default=60.0, ge=0, alias="NOTIFICATION_SVC_PDF_WAIT_SECONDS")

    # The sender loop: how often it looks for due emails when nothing wakes it, how many it takes
    # at once, and how long a claim lasts before another worker may take the email over.
    send_poll_seconds: float = Field(default=2.0, gt=0, alias="NOTIFICATION_SVC_SEND_POLL_SECONDS")
    send_batch_size: int = Field(default=20, gt=0, alias="NOTIFICATION_SVC_SEND_BATCH_SIZE")
    send_lease_seconds: float = Field(default=300.0, gt=0, alias="NOTIFICATION_SVC_SEND_LEASE_SECONDS")
    # Retries: the delay doubles from base up to max; after max_attempts the email is `failed`.
    retry_base_seconds: float = Field(default=30.0, gt=0, alias="NOTIFICATION_SVC_RETRY_BASE_SECONDS")
    retry_max_seconds: float = Field(default=3600.0, gt=0, alias="NOTIFICATION_SVC_RETRY_MAX_SECONDS")
    max_attempts: int = Field(default=20, gt=0, alias="NOTIFICATION_SVC_MAX_ATTEMPTS")
    # Tickets emails one order may ask for again in 24 hours (its owner and admins together).
    resends_per_order_per_day: int = Field(
        default=3, ge=0, alias="NOTIFICATION_SVC_RESENDS_PER_ORDER_PER_DAY"
    )

    email_provider: EmailProviderName = Field(default="smtp", alias="EMAIL_PROVIDER")
    provider_timeout_seconds: float = Field(
        default=20.0, gt=0, alias="NOTIFICATION_SVC_PROVIDER_TIMEOUT_SECONDS"
    )
    breaker_threshold: int = Field(default=5, gt=0, alias="NOTIFICATION_SVC_BREAKER_THRESHOLD")
    breaker_ttl_seconds: float = Field(default=30.0, gt=0, alias="NOTIFICATION_SVC_BREAKER_TTL_SECONDS")
    smtp_host: str = Field(default="127.0.0.1", alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, alias="SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="SMTP_USER")
    smtp_password: SecretStr | None = Field(default=None, alias="SMTP_PASSWORD")
    # STARTTLS on a submission port (587); the development sink speaks plain SMTP.
    smtp_starttls: bool = Field(default=False, alias="SMTP_STARTTLS")
    email_api_key: SecretStr | None = Field(default=None, alias="EMAIL_API_KEY")
    sendgrid_api_base_url: str = Field(default="https://api.sendgrid.com", alias="SENDGRID_API_BASE_URL")

    @property
    def sender_domain(self) -> str:
        """The domain of the Message-IDs this service makes (the From address's)."""
        return self.email_from.rsplit("@", 1)[-1] or "crowdify.cl"

    @model_validator(mode="after")
    def _sendgrid_needs_a_key(self) -> NotificationSettings:
        if self.email_provider == "sendgrid" and not (
            self.email_api_key and self.email_api_key.get_secret_value()
        ):
            raise MissingSecretError("EMAIL_API_KEY is required when EMAIL_PROVIDER=sendgrid")
        return self


@lru_cache
def get_settings() -> NotificationSettings:
    return NotificationSettings()

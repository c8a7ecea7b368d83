"""admin-svc settings: the only place this service reads its environment."""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from crowdify.settings import ServiceSettings

SCHEMA = "admin"

# The local Supabase emulator's service-role key: a legacy API key (HS256, role service_role)
# signed with the development SUPABASE_JWT_SECRET. Refused outside development.
DEV_SUPABASE_SERVICE_ROLE_KEY: Final = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJlZiI6ImNyb3dkaWZ5LWxvY2FsIiwicm9s"
    "ZSI6InNlcnZpY2Vfcm9sZSIsImlhdCI6MTc2NDU0NzIwMCwiZXhwIjoyMDc5OTA3MjAwfQ."
    "ziD3thYG5a0FMrhL4i8etyYT8NWP5Ri7KQdVaWEEVfc"
)


class AdminSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "admin-svc"
    db_schema: str = SCHEMA
    database_url: str = Field(
        default="postgresql+asyncpg://admin_svc@127.0.0.1:5432/crowdify", alias="ADMIN_SVC_DATABASE_URL"
    )
    events_queue: str = Field(default="admin-svc.events", alias="ADMIN_SVC_EVENTS_QUEUE")
    # Messages in hand at once. They are applied in batches per kind (one lane for each of the
    # fourteen kinds it takes in), so the window must hold several of each for batches to form.
    consumer_prefetch: int = Field(default=256, ge=1, alias="ADMIN_SVC_CONSUMER_PREFETCH")
    # How long a batch of one kind that is not full waits for more messages. Nobody waits on the
    # read model, and in an on-sale each message arrived alone: one transaction and half a dozen
    # statements for every batch of orders placed or decided. Waiting lets a batch take several.
    projection_linger_seconds: float = Field(
        default=0.2, ge=0, le=5, alias="ADMIN_SVC_PROJECTION_LINGER_SECONDS"
    )
    worker_metrics_host: str = Field(default="127.0.0.1", alias="ADMIN_SVC_WORKER_METRICS_HOST")
    # 0 turns the worker's /metrics endpoint off.
    worker_metrics_port: int = Field(default=9106, alias="ADMIN_SVC_WORKER_METRICS_PORT")

    # Supabase Auth's admin API (GoTrue) is called with the project's service-role key: it can
    # read and change every user, so it lives only here and in the environment.
    supabase_service_role_key: SecretStr = Field(
        default=SecretStr(DEV_SUPABASE_SERVICE_ROLE_KEY), alias="SUPABASE_SERVICE_ROLE_KEY"
    )
    auth_admin_timeout_seconds: float = Field(default=10.0, gt=0, alias="ADMIN_SVC_AUTH_TIMEOUT_SECONDS")
    # Where the invitation email's link sends the invited person (the web app).
    invite_redirect_url: str | None = Field(default=None, alias="ADMIN_SVC_INVITE_REDIRECT_URL")
    # Dashboards bucket time in the promoter's timezone (days start at local midnight).
    timezone: str = Field(default="America/Santiago", alias="ADMIN_SVC_TIMEZONE")
    # Rows fetched from the database at a time while a CSV export streams.
    export_batch_rows: int = Field(default=2000, gt=0, alias="ADMIN_SVC_EXPORT_BATCH_ROWS")

    @property
    def auth_admin_url(self) -> str:
        return self.supabase_url.rstrip("/") + "/auth/v1"

    def required_secrets(self) -> dict[str, tuple[SecretStr | None, str | None]]:
        return {
            **super().required_secrets(),
            "SUPABASE_SERVICE_ROLE_KEY": (self.supabase_service_role_key, DEV_SUPABASE_SERVICE_ROLE_KEY),
        }


@lru_cache
def get_settings() -> AdminSettings:
    return AdminSettings()

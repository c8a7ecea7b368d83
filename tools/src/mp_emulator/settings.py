"""Settings of the Mercado Pago emulator (the only place it reads the environment)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_MP_WEBHOOK_SECRET = "dev-mp-webhook-secret"

NotificationFormat = Literal["webhook", "ipn", "both"]


class EmulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # The public base URL, as services and browsers see it: init_point links are built from it.
    api_base_url: str = Field(default="http://localhost:8200", alias="MERCADOPAGO_API_BASE_URL")
    # Shared with purchase-svc, which verifies the x-signature of every webhook with it.
    webhook_secret: SecretStr = Field(
        default=SecretStr(DEV_MP_WEBHOOK_SECRET), alias="MERCADOPAGO_WEBHOOK_SECRET"
    )
    host: str = Field(default="127.0.0.1", alias="MP_EMULATOR_HOST")
    port: int = Field(default=8200, alias="MP_EMULATOR_PORT")
    # The seller account (user_id in notifications, collector_id on resources) and application.
    collector_id: int = Field(default=1_234_567_890, alias="MP_EMULATOR_COLLECTOR_ID")
    client_id: str = Field(default="6295877106812064", alias="MP_EMULATOR_CLIENT_ID")

    # Webhook delivery. Mercado Pago waits 22 s for an answer and retries every 15 minutes; the
    # retry schedule is short here so a platform that was down catches up within a dev session.
    delivery_timeout_seconds: float = Field(default=22.0, alias="MP_EMULATOR_DELIVERY_TIMEOUT_SECONDS")
    # "5,30,120" in the environment; an empty value turns retries off.
    retry_schedule: Annotated[list[float], NoDecode] = Field(
        default=[5.0, 30.0, 120.0], alias="MP_EMULATOR_RETRY_SCHEDULE"
    )

    # Default delivery knobs (POST /__emulator/config changes them at run time).
    duplicates: int = Field(default=1, ge=1, le=20, alias="MP_EMULATOR_DUPLICATES")
    delay_seconds: float = Field(default=0.0, ge=0, alias="MP_EMULATOR_DELAY_SECONDS")
    reorder: bool = Field(default=False, alias="MP_EMULATOR_REORDER")
    notification_format: NotificationFormat = Field(
        default="webhook", alias="MP_EMULATOR_NOTIFICATION_FORMAT"
    )
    omit_request_id: bool = Field(default=False, alias="MP_EMULATOR_OMIT_REQUEST_ID")
    uppercase_ids: bool = Field(default=False, alias="MP_EMULATOR_UPPERCASE_IDS")

    @field_validator("retry_schedule", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [
                float(part) for part in value.replace("[", "").replace("]", "").split(",") if part.strip()
            ]
        return value

    @property
    def base_url(self) -> str:
        return self.api_base_url.rstrip("/")

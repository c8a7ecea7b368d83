"""SendGrid emulator settings (development and tests only)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_API_KEY = "SG.dev-emulator-key"


class EmulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    host: str = Field(default="127.0.0.1", alias="SENDGRID_EMULATOR_HOST")
    port: int = Field(default=8400, alias="SENDGRID_EMULATOR_PORT")
    # Comma-separated API keys the emulator accepts (what EMAIL_API_KEY is set to).
    api_keys: str = Field(default=DEV_API_KEY, alias="SENDGRID_EMULATOR_API_KEYS")
    # SendGrid refuses whole messages (attachments included) of 30 MB or more.
    max_message_bytes: int = Field(default=30 * 1024 * 1024, alias="SENDGRID_EMULATOR_MAX_MESSAGE_BYTES")

    @property
    def accepted_keys(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

"""Settings of the messaging tools (the replay command); services keep theirs in their own settings."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MessagingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", alias="AMQP_URL")

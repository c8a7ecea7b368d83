"""Settings of the messaging tools (replay, unrouted); services keep theirs in their own settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class MessagingSettings(BaseSettings):
    """The same variable names as :class:`crowdify.settings.ServiceSettings`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", alias="AMQP_URL")
    amqp_exchange: str = Field(default="crowdify", alias="AMQP_EXCHANGE")
    # quorum (default) or classic; see crowdify.messaging.topology.
    amqp_queue_type: Literal["quorum", "classic"] = Field(default="quorum", alias="AMQP_QUEUE_TYPE")

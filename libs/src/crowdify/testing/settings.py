"""Where the integration tests find their servers (the ones every development machine runs)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TestInfrastructureSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")
    __test__ = False  # not a test class, whatever pytest thinks of the name

    # Tests only create and drop their own schemas, so any existing database will do; the
    # server's default one always exists.
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres", alias="TEST_DATABASE_URL"
    )
    amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", alias="TEST_AMQP_URL")
    # Classic by default: every test creates and deletes a consumer's six queues, and as quorum
    # queues (a Raft group and log each) that churn is enough to wedge a small broker. Tests of
    # quorum-only behaviour ask for quorum explicitly; TEST_AMQP_QUEUE_TYPE=quorum runs them all so.
    amqp_queue_type: Literal["quorum", "classic"] = Field(default="classic", alias="TEST_AMQP_QUEUE_TYPE")

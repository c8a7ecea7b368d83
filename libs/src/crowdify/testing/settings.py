"""Where the integration tests find their servers (the ones every development machine runs)."""

from __future__ import annotations

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

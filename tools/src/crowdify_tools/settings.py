"""Settings of the developer commands (database setup, migrations, seed)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ToolSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # A superuser connection, used only to create the database, roles and schemas.
    postgres_admin_dsn: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres", alias="POSTGRES_ADMIN_DSN"
    )
    database_name: str = Field(default="crowdify", alias="CROWDIFY_DATABASE")
    postgres_host: str = Field(default="127.0.0.1:5432", alias="POSTGRES_HOSTPORT")

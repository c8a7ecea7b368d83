"""Settings of the Supabase Auth emulator (the only place it reads the environment)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from crowdify.settings import DEV_SUPABASE_JWT_SECRET


class EmulatorSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # The public base URL, as services see it: tokens carry iss = f"{supabase_url}/auth/v1".
    supabase_url: str = Field(default="http://localhost:8300", alias="SUPABASE_URL")
    # Legacy HS256 secret: signs the anon/service_role API keys and, on request, HS256 user tokens.
    supabase_jwt_secret: SecretStr = Field(
        default=SecretStr(DEV_SUPABASE_JWT_SECRET), alias="SUPABASE_JWT_SECRET"
    )
    host: str = Field(default="127.0.0.1", alias="SUPABASE_EMULATOR_HOST")
    port: int = Field(default=8300, alias="SUPABASE_EMULATOR_PORT")
    # Signing keys are kept here so tokens stay valid across restarts.
    state_dir: Path = Field(default=Path(".run/supabase-emulator"), alias="SUPABASE_EMULATOR_STATE_DIR")
    key_file: Path | None = Field(default=None, alias="SUPABASE_EMULATOR_KEY_FILE")
    access_token_ttl_seconds: int = Field(default=3600, alias="SUPABASE_EMULATOR_JWT_EXP")
    # Invitation emails go to this SMTP server (the development sink), from this address.
    smtp_host: str = Field(default="127.0.0.1", alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, alias="SMTP_PORT")
    mail_from: str = Field(default="no-reply@crowdify.test", alias="SUPABASE_EMULATOR_MAIL_FROM")

    @property
    def issuer(self) -> str:
        return self.supabase_url.rstrip("/") + "/auth/v1"

    @property
    def signing_key_path(self) -> Path:
        return self.key_file if self.key_file is not None else self.state_dir / "signing-keys.json"

"""Settings shared by every Crowdify process.

Each service subclasses :class:`ServiceSettings` in its own ``settings.py``; nothing else reads the
environment. Outside development, a secret left at its development default (or missing) stops the
process at start-up instead of running with a key everybody knows.

The environment defaults to production: a deployment that forgets ``CROWDIFY_ENV`` gets the strict
checks, never the published development keys. Development (``.env.example``, ``make up``) and
tests say ``CROWDIFY_ENV=development`` or ``test`` explicitly. Signing secrets shorter than
:data:`MIN_SIGNING_SECRET_BYTES` are refused in every environment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "dev-backend-jwt-secret-change-me"
DEV_SUPABASE_JWT_SECRET = "dev-supabase-jwt-secret-change-me"

# validation-svc's key of the door's code digests (ADR 0024); the benchmark seeds digests with it.
DEV_CODE_DIGEST_KEY = "dev-validation-code-digest-key-change-me"
DEVELOPMENT_SECRETS = frozenset({DEV_JWT_SECRET, DEV_SUPABASE_JWT_SECRET, DEV_CODE_DIGEST_KEY})
# HMAC keys (HS256) shorter than the hash output add no strength and invite guessable values
# such as "secret" (RFC 7518 section 3.2 asks for at least 256 bits).
MIN_SIGNING_SECRET_BYTES = 32

# The audience of door-device tokens: only a process whose settings list it in
# accepted_token_audiences (validation-svc, and the edge, which passes them on) accepts them.
DEVICE_AUDIENCE = "crowdify:door"

Environment = Literal["development", "test", "staging", "production"]


class MissingSecretError(ValueError):
    """A secret required outside development is missing or left at its development default."""


class WeakSecretError(ValueError):
    """A signing secret is shorter than :data:`MIN_SIGNING_SECRET_BYTES`."""


class ServiceSettings(BaseSettings):
    """Settings every service process needs: identity, infrastructure URLs, auth and logging."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Environment = Field(default="production", alias="CROWDIFY_ENV")
    service_name: str = "crowdify"
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # Freeze the objects made at startup out of the garbage collector's full collections
    # (crowdify.heap); off only for in-process test suites that build an app per test.
    gc_freeze_after_startup: bool = Field(default=True, alias="GC_FREEZE_AFTER_STARTUP")

    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/crowdify", alias="DATABASE_URL"
    )
    db_schema: str = "public"
    # Connections a process keeps (and as many again under bursts). Every process of every service
    # draws from the same PostgreSQL max_connections: size it so the sum fits (or use PgBouncer).
    db_pool_size: int = Field(default=10, ge=1, alias="DB_POOL_SIZE")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", alias="REDIS_URL")
    # Connections a process keeps to Redis. A request that finds them all busy waits for one (up
    # to REDIS_POOL_TIMEOUT_SECONDS) rather than failing: an on-sale puts hundreds of requests in
    # flight at once, each needing Redis for a millisecond.
    redis_max_connections: int = Field(default=100, ge=1, alias="REDIS_MAX_CONNECTIONS")
    redis_pool_timeout_seconds: float = Field(default=5.0, gt=0, alias="REDIS_POOL_TIMEOUT_SECONDS")
    amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/", alias="AMQP_URL")
    amqp_exchange: str = Field(default="crowdify", alias="AMQP_EXCHANGE")
    # Queue type of the consumers' queues: quorum in production, classic where queues are
    # created and deleted by the hundred (tests). See crowdify.messaging.topology.
    amqp_queue_type: Literal["quorum", "classic"] = Field(default="quorum", alias="AMQP_QUEUE_TYPE")

    jwt_secret: SecretStr = Field(default=SecretStr(DEV_JWT_SECRET), alias="JWT_SECRET")
    supabase_url: str = Field(default="http://localhost:8300", alias="SUPABASE_URL")
    supabase_jwt_secret: SecretStr | None = Field(
        default=SecretStr(DEV_SUPABASE_JWT_SECRET), alias="SUPABASE_JWT_SECRET"
    )
    # Off: Supabase tokens are accepted only when signed with a key from the project's JWKS, and
    # SUPABASE_JWT_SECRET is neither required nor read (projects migrated to asymmetric keys).
    supabase_legacy_hs256: bool = Field(default=True, alias="SUPABASE_LEGACY_HS256")
    jwks_cache_seconds: int = Field(default=300, alias="JWKS_CACHE_SECONDS")

    cors_origins: str = Field(default="http://localhost:3000,http://localhost:5173", alias="CORS_ORIGINS")

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def accepted_token_audiences(self) -> tuple[str, ...]:
        """Audiences of backend tokens this process accepts besides audience-less ones: none
        here; validation-svc and the edge accept door-device tokens."""
        return ()

    @property
    def accepts_plain_backend_tokens(self) -> bool:
        """Backend tokens without an audience (``make token``, tests) stand in for people's
        Supabase sessions: accepted in development and test only."""
        return self.is_development

    @property
    def is_development(self) -> bool:
        return self.environment in ("development", "test")

    @property
    def supabase_legacy_secret(self) -> str:
        """The legacy Supabase HS256 secret, or "" when that path is switched off or unset."""
        if not self.supabase_legacy_hs256 or self.supabase_jwt_secret is None:
            return ""
        return self.supabase_jwt_secret.get_secret_value()

    def signing_secrets(self) -> dict[str, str]:
        """HMAC keys this process verifies tokens with, by variable name (unset ones left out)."""
        secrets = {"JWT_SECRET": self.jwt_secret.get_secret_value()}
        if self.supabase_legacy_secret:
            secrets["SUPABASE_JWT_SECRET"] = self.supabase_legacy_secret
        return secrets

    def required_secrets(self) -> dict[str, tuple[SecretStr | None, str | None]]:
        """Secrets as ``{ENV_NAME: (value, development default)}``; subclasses add their own.

        A secret whose value is ``None`` and whose default is ``None`` is optional (the legacy
        Supabase HS256 secret, for projects on asymmetric keys only).
        """
        secrets: dict[str, tuple[SecretStr | None, str | None]] = {
            "JWT_SECRET": (self.jwt_secret, DEV_JWT_SECRET)
        }
        if self.supabase_legacy_hs256:
            secrets["SUPABASE_JWT_SECRET"] = (self.supabase_jwt_secret, None)
        return secrets

    @model_validator(mode="after")
    def _refuse_short_signing_secrets(self) -> ServiceSettings:
        short = [
            name
            for name, value in self.signing_secrets().items()
            if len(value.encode()) < MIN_SIGNING_SECRET_BYTES
        ]
        if short:
            raise WeakSecretError(
                f"{', '.join(sorted(short))} must be at least {MIN_SIGNING_SECRET_BYTES} bytes long"
            )
        return self

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> ServiceSettings:
        if self.is_development:
            return self
        weak = [
            name
            for name, (value, dev_default) in self.required_secrets().items()
            if (value is None and dev_default is not None)
            or (value is not None and value.get_secret_value() in ("", dev_default))
            or (value is not None and value.get_secret_value() in DEVELOPMENT_SECRETS)
        ]
        if weak:
            raise MissingSecretError(
                f"{', '.join(sorted(weak))} must be set to a real secret when CROWDIFY_ENV={self.environment}"
            )
        return self

"""validation-svc settings: the only place this service reads its environment."""

from __future__ import annotations

import json
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from crowdify.settings import DEV_CODE_DIGEST_KEY, DEVICE_AUDIENCE, MissingSecretError, ServiceSettings
from crowdify.tickets import KeyRing, TicketSigningSettings
from crowdify.tickets.codes import DIGEST_KEY_BYTES

SCHEMA = "validation"


class ValidationSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    service_name: str = "validation-svc"
    db_schema: str = SCHEMA
    database_url: str = Field(
        default="postgresql+asyncpg://validation_svc@127.0.0.1:5432/crowdify",
        alias="VALIDATION_SVC_DATABASE_URL",
    )
    events_queue: str = Field(default="validation-svc.events", alias="VALIDATION_SVC_EVENTS_QUEUE")
    consumer_prefetch: int = Field(default=32, alias="VALIDATION_SVC_CONSUMER_PREFETCH")
    worker_metrics_host: str = Field(default="127.0.0.1", alias="VALIDATION_SVC_WORKER_METRICS_HOST")
    # 0 turns the worker's /metrics endpoint off.
    worker_metrics_port: int = Field(default=9103, alias="VALIDATION_SVC_WORKER_METRICS_PORT")
    # The worker announces first admissions (validation.tickets.admitted.v1, one message per event)
    # this often, this many tickets per transaction at most.
    admissions_poll_seconds: float = Field(default=2.0, gt=0, alias="VALIDATION_SVC_ADMISSIONS_POLL_SECONDS")
    admissions_batch: int = Field(default=500, gt=0, alias="VALIDATION_SVC_ADMISSIONS_BATCH")
    # Connections of the door's own pool (scan and sync statements) in each API process; the
    # rest of the API uses DB_POOL_SIZE. Mind max_connections across every process.
    door_pool_size: int = Field(default=8, ge=1, le=64, alias="VALIDATION_SVC_DOOR_POOL_SIZE")
    # The most online scans one API process decides in one transaction (group commit: the scans
    # that arrive while a batch is decided form the next one, never waiting for more). 1 decides
    # each scan alone.
    door_batch_max: int = Field(default=64, ge=1, le=500, alias="VALIDATION_SVC_DOOR_BATCH_MAX")
    # Share of successful requests written to the access log (errors and slow requests always
    # are): at the door's rates a JSON line per scan costs more than the scan.
    access_log_sample: float = Field(default=0.01, ge=0, le=1, alias="VALIDATION_SVC_ACCESS_LOG_SAMPLE")
    # How long a door device's scanner token lasts (POST /api/v1/validation/devices).
    device_token_ttl_seconds: int = Field(
        default=36 * 3600, gt=0, alias="VALIDATION_SVC_DEVICE_TOKEN_TTL_SECONDS"
    )
    # The scanner web app's address as door devices reach it: enrolment links point there.
    scanner_url: str = Field(
        default="http://localhost:8000/scanner/",
        pattern=r"^https?://[^#?\s]+/$",
        alias="VALIDATION_SVC_SCANNER_URL",
    )
    # The issuer's public keys as a JWKS document ({"keys": [...]}) or a JSON list of JWKs: what
    # `python -m crowdify.tickets.keys jwks` prints. Unset in development/test: derived from the
    # (development) TICKET_SIGNING_KEYS, so `make up` needs no setup. Required anywhere else:
    # this service never holds private keys in production.
    ticket_public_keys: str | None = Field(default=None, alias="VALIDATION_SVC_TICKET_PUBLIC_KEYS")
    # The key of the digests by which the door recognises the codes the registry issued (ADR
    # 0024): 32 to 64 bytes, the same for the API and the worker. Without it, whoever can write
    # validation.tickets still cannot make a code admissible. A new key only sends the codes
    # registered under the old one through the signature check.
    code_digest_key: SecretStr = Field(
        default=SecretStr(DEV_CODE_DIGEST_KEY), alias="VALIDATION_SVC_CODE_DIGEST_KEY"
    )

    @field_validator("code_digest_key")
    @classmethod
    def _digest_key_length(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) not in DIGEST_KEY_BYTES:
            raise ValueError("VALIDATION_SVC_CODE_DIGEST_KEY must be 32 to 64 bytes long")
        return value

    @property
    def code_digest_key_bytes(self) -> bytes:
        return self.code_digest_key.get_secret_value().encode()

    def required_secrets(self) -> dict[str, tuple[SecretStr | None, str | None]]:
        return {
            **super().required_secrets(),
            "VALIDATION_SVC_CODE_DIGEST_KEY": (self.code_digest_key, DEV_CODE_DIGEST_KEY),
        }

    @property
    def accepted_token_audiences(self) -> tuple[str, ...]:
        """Door-device tokens are for this service alone."""
        return (DEVICE_AUDIENCE,)

    def ticket_keyring(self) -> KeyRing:
        if self.ticket_public_keys:
            try:
                document = json.loads(self.ticket_public_keys)
            except json.JSONDecodeError as exc:
                raise ValueError("VALIDATION_SVC_TICKET_PUBLIC_KEYS is not JSON") from exc
            return KeyRing.from_jwks(document)
        if self.environment not in ("development", "test"):
            raise MissingSecretError(
                f"VALIDATION_SVC_TICKET_PUBLIC_KEYS is required when CROWDIFY_ENV={self.environment}"
            )
        return TicketSigningSettings().ticket_keyring()


@lru_cache
def get_settings() -> ValidationSettings:
    return ValidationSettings()

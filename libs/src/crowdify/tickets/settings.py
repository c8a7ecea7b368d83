"""Where the issuer's ticket signing keys come from.

``TicketSigningSettings`` reads them from the environment, the same way in every process that
signs tickets (purchase-svc). A service combines it with its own settings::

    class Settings(ServiceSettings, TicketSigningSettings): ...

* ``TICKET_SIGNING_KEYS``: ``kid:key`` entries, comma-separated, newest first, each key base64url
  of a 32-byte Ed25519 seed (``python -m crowdify.tickets.keys generate --kid K2025A``).
* ``TICKET_SIGNING_KEY_FILE``: a file with the same entries, one a line (a mounted secret), or
  one PKCS#8 PEM private key whose kid ``TICKET_SIGNING_KID`` gives.
* ``TICKET_SIGNING_KID``: the key that signs new tickets; default the first one listed.

Every listed key stays in :meth:`TicketSigningSettings.ticket_keyring`, so tickets signed before
a rotation still verify. Outside development the development key below is refused, alone or
among others, and so is running with no key at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from pydantic import Field, PrivateAttr, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crowdify.settings import Environment, MissingSecretError
from crowdify.tickets.keys import KeyRing, SigningKey, parse_signing_keys

__all__ = [
    "DEV_TICKET_SIGNING_KEY",
    "DEV_TICKET_SIGNING_KEYS",
    "DEV_TICKET_SIGNING_KID",
    "TicketSigningSettings",
]

# DEVELOPMENT ONLY. This private key is public (it is in the repository), so a code signed with
# it proves nothing. It lets `make up` and the tests issue tickets with no setup; any environment
# other than development/test refuses to start while it is configured.
DEV_TICKET_SIGNING_KID: Final = "DEV"
DEV_TICKET_SIGNING_KEY: Final = "HkH3ZECmjXKVjotcwZTZUASTOnkf1nmcDUaHrD0QlJA"
DEV_TICKET_SIGNING_KEYS: Final = f"{DEV_TICKET_SIGNING_KID}:{DEV_TICKET_SIGNING_KEY}"


class TicketSigningSettings(BaseSettings):
    """The issuer's Ed25519 signing keys, parsed and checked once at start-up."""

    # hide_input_in_errors: a validation error must not print the environment, keys included.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    environment: Environment = Field(default="production", alias="CROWDIFY_ENV")
    ticket_signing_keys: SecretStr = Field(
        default=SecretStr(DEV_TICKET_SIGNING_KEYS), alias="TICKET_SIGNING_KEYS"
    )
    ticket_signing_key_file: Path | None = Field(default=None, alias="TICKET_SIGNING_KEY_FILE")
    ticket_signing_kid: str | None = Field(default=None, alias="TICKET_SIGNING_KID")

    _ticket_signing_keys: tuple[SigningKey, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _load_ticket_signing_keys(self) -> TicketSigningSettings:
        keys = self._read_ticket_signing_keys()
        if not keys:
            raise MissingSecretError("TICKET_SIGNING_KEYS (or TICKET_SIGNING_KEY_FILE) names no key")
        kid = self.ticket_signing_kid
        if kid is not None:
            current = next((key for key in keys if key.kid == kid), None)
            if current is None:
                raise ValueError(f"TICKET_SIGNING_KID={kid} is not among the configured ticket keys")
            keys = [current, *(key for key in keys if key is not current)]
        if self.environment not in ("development", "test"):
            dev_key = SigningKey.from_string(DEV_TICKET_SIGNING_KID, DEV_TICKET_SIGNING_KEY)
            dev_x = dev_key.public_jwk()["x"]
            if any(key.kid == DEV_TICKET_SIGNING_KID or key.public_jwk()["x"] == dev_x for key in keys):
                raise MissingSecretError(
                    "TICKET_SIGNING_KEYS must not hold the development ticket key "
                    f"when CROWDIFY_ENV={self.environment}"
                )
        self._ticket_signing_keys = tuple(keys)
        return self

    def _read_ticket_signing_keys(self) -> list[SigningKey]:
        listed = self.ticket_signing_keys.get_secret_value()
        path = self.ticket_signing_key_file
        if path is None:
            return parse_signing_keys(listed)
        if listed not in ("", DEV_TICKET_SIGNING_KEYS):
            raise ValueError("set TICKET_SIGNING_KEYS or TICKET_SIGNING_KEY_FILE, not both")
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"TICKET_SIGNING_KEY_FILE cannot be read: {type(exc).__name__}") from None
        if text.lstrip().startswith("-----BEGIN"):
            if self.ticket_signing_kid is None:
                raise ValueError("a PEM in TICKET_SIGNING_KEY_FILE needs its kid in TICKET_SIGNING_KID")
            try:
                return [SigningKey.from_string(self.ticket_signing_kid, text)]
            except ValueError as exc:
                raise ValueError(f"TICKET_SIGNING_KEY_FILE: {exc}") from None
        return parse_signing_keys(text, source="TICKET_SIGNING_KEY_FILE")

    @property
    def ticket_signing_key(self) -> SigningKey:
        """The key that signs new tickets."""
        return self._ticket_signing_keys[0]

    @property
    def ticket_signing_key_list(self) -> tuple[SigningKey, ...]:
        """Every configured key, the signing one first."""
        return self._ticket_signing_keys

    def ticket_keyring(self) -> KeyRing:
        """The public keys of every configured key: what verifiers and the manifest need."""
        return KeyRing.from_signing_keys(self._ticket_signing_keys)

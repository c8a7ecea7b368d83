"""Ed25519 keys for ticket codes: the issuer's signing keys and the verifiers' key ring.

Every key has a key id (``kid``) that travels in the ticket code, so a verifier picks the one key
to try and a key can be retired on its own. Kids are short upper-case names (``K2025A``,
``2025-06``): they are printed in every QR code, and upper case keeps the whole code within the QR
alphanumeric character set (ADR 0006).

Private keys are written as base64url of the 32-byte Ed25519 seed (what ``generate`` prints) or
as a PKCS#8 PEM (what ``openssl genpkey -algorithm ed25519`` writes). Public keys are JWKs as
RFC 8037 defines them for Ed25519 and as the scanner manifest carries them:
``{"kty": "OKP", "crv": "Ed25519", "kid": ..., "x": base64url(raw public key)}``.

``python -m crowdify.tickets.keys generate --kid K2025A`` makes a new key (see ``__main__``).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.signing import VerifyKey

__all__ = [
    "KID_MAX_LENGTH",
    "KeyRing",
    "SigningKey",
    "parse_signing_keys",
    "public_jwk",
    "validate_kid",
]

KID_MAX_LENGTH: Final = 16
# Upper-case letters, digits and inner dashes: all in the QR alphanumeric set, none of them a dot.
KID_PATTERN: Final = re.compile(rf"[A-Z0-9](?:[A-Z0-9-]{{0,{KID_MAX_LENGTH - 2}}}[A-Z0-9])?")

_SEED_BYTES: Final = 32
_PUBLIC_BYTES: Final = 32
_BASE64: Final = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")


def validate_kid(kid: object) -> str:
    """``kid`` if it is a usable key id, else ``ValueError``."""
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise ValueError(
            f"a ticket key id is 1 to {KID_MAX_LENGTH} characters of A-Z, 0-9 and inner dashes, got {kid!r}"
        )
    return kid


def _b64decode(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not."""
    text = text.strip()
    if not _BASE64.fullmatch(text):
        raise ValueError("not base64")
    text = text.rstrip("=").replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64") from exc


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _load_private_key(text: str) -> Ed25519PrivateKey:
    # Error messages here never include the text: it is a secret, even when it is a broken one.
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(stripped.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
            raise ValueError("not a readable unencrypted PKCS#8 PEM private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM private key is not an Ed25519 key")
        return key
    try:
        seed = _b64decode(stripped)
    except ValueError:
        raise ValueError("not a PEM private key nor base64 of a 32-byte Ed25519 seed") from None
    if len(seed) != _SEED_BYTES:
        raise ValueError(f"an Ed25519 private key is {_SEED_BYTES} bytes, this one is {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_jwk(kid: str, public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK of one key, in the shape of docs/api.md's manifest ``keys``."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "x": _b64url(raw)}


@dataclass(frozen=True, eq=False)
class SigningKey:
    """An Ed25519 private key and its key id: held by the issuer (purchase-svc) only."""

    kid: str
    private_key: Ed25519PrivateKey = field(repr=False)
    public_key: Ed25519PublicKey = field(init=False, repr=False)

    def __post_init__(self) -> None:
        validate_kid(self.kid)
        if not isinstance(self.private_key, Ed25519PrivateKey):
            raise TypeError("private_key must be an Ed25519PrivateKey")
        # Derived once: signing and publishing need it, deriving costs a scalar multiplication.
        object.__setattr__(self, "public_key", self.private_key.public_key())

    @classmethod
    def generate(cls, kid: str) -> SigningKey:
        """A fresh random key."""
        return cls(kid, Ed25519PrivateKey.generate())

    @classmethod
    def from_string(cls, kid: str, text: str) -> SigningKey:
        """From base64/base64url of the 32-byte seed, or a PKCS#8 PEM."""
        return cls(validate_kid(kid), _load_private_key(text))

    @classmethod
    def from_file(cls, path: str | Path, kid: str) -> SigningKey:
        """From a file holding one key as :meth:`from_string` reads it."""
        return cls.from_string(kid, Path(path).read_text(encoding="ascii"))

    def private_text(self) -> str:
        """base64url of the seed: what ``TICKET_SIGNING_KEYS`` and key files hold. A secret."""
        return _b64url(
            self.private_key.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
        )

    def private_pem(self) -> str:
        """The key as an unencrypted PKCS#8 PEM. A secret."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii")

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.kid, self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def parse_signing_keys(text: str, *, source: str = "TICKET_SIGNING_KEYS") -> list[SigningKey]:
    """Keys from ``kid:key`` entries separated by commas or new lines, in the order given.

    Blank entries and lines starting with ``#`` are skipped, so the output of ``generate`` is a
    valid key file as it stands. The convention is newest first: the first key signs new tickets
    unless ``TICKET_SIGNING_KID`` says otherwise. ``source`` names the setting in error messages,
    which never quote the keys.
    """
    keys: list[SigningKey] = []
    seen: set[str] = set()
    lines = (line.strip() for line in text.splitlines())
    entries = [entry.strip() for line in lines if not line.startswith("#") for entry in line.split(",")]
    for position, entry in enumerate((e for e in entries if e), start=1):
        kid, separator, key_text = entry.partition(":")
        kid = kid.strip()
        if not separator or not KID_PATTERN.fullmatch(kid):
            raise ValueError(f"entry {position} of {source} is not kid:key with a valid kid")
        if kid in seen:
            raise ValueError(f"{source} names kid {kid} twice")
        try:
            keys.append(SigningKey(kid, _load_private_key(key_text)))
        except ValueError as exc:
            raise ValueError(f"the key for kid {kid} in {source}: {exc}") from None
        seen.add(kid)
    return keys


class KeyRing:
    """Public keys by kid: what verifiers (validation-svc, offline scanners) hold.

    Immutable: :meth:`with_key` and :meth:`without` return a new ring, so a ring shared between
    requests can be swapped whole when the manifest or configuration changes. Order is kept (the
    issuer lists its keys newest first).

    Each key is also held as libsodium's verify key (:meth:`verify_key`): the door checks a
    signature on every scan, and libsodium does it in about half the time OpenSSL takes
    (ADR 0006, "Verification speed"). Keys are still loaded, compared and published through
    ``cryptography``.
    """

    __slots__ = ("_keys", "_verify_keys")

    def __init__(self, keys: Mapping[str, Ed25519PublicKey] | None = None) -> None:
        checked: dict[str, Ed25519PublicKey] = {}
        for kid, key in (keys or {}).items():
            if not isinstance(key, Ed25519PublicKey):
                raise TypeError(f"key {kid!r} is not an Ed25519PublicKey")
            checked[validate_kid(kid)] = key
        self._keys = checked
        self._verify_keys = {
            kid: VerifyKey(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
            for kid, key in checked.items()
        }

    @classmethod
    def from_signing_keys(cls, keys: Iterable[SigningKey]) -> KeyRing:
        return cls({key.kid: key.public_key for key in keys})

    @classmethod
    def from_jwks(cls, document: Mapping[str, Any] | Iterable[Mapping[str, Any]]) -> KeyRing:
        """From a JWKS ``{"keys": [...]}`` or a bare list of JWKs (the manifest's ``keys``).

        Keys of other types (``kty``/``crv`` not OKP/Ed25519) are skipped: a later format may
        publish them alongside. An Ed25519 JWK that is broken, marked for another use, carries
        private material (``d``) or repeats a kid is an error: a key ring that silently lost a
        key would turn real tickets away at the door.
        """
        if isinstance(document, Mapping):
            raw_keys = document.get("keys")
            if not isinstance(raw_keys, list):
                raise ValueError("JWKS document has no 'keys' list")
        else:
            raw_keys = list(document)
        keys: dict[str, Ed25519PublicKey] = {}
        for position, jwk in enumerate(raw_keys, start=1):
            if not isinstance(jwk, Mapping):
                raise ValueError(f"JWK {position} is not an object")
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                continue
            kid = validate_kid(jwk.get("kid"))
            if "d" in jwk:
                raise ValueError(f"JWK {kid} carries a private key; publish public keys only")
            if jwk.get("use", "sig") != "sig" or jwk.get("alg", "EdDSA") not in ("EdDSA", "Ed25519"):
                raise ValueError(f"JWK {kid} is not a signature key for EdDSA")
            if kid in keys:
                raise ValueError(f"JWKS lists kid {kid} twice")
            x = jwk.get("x")
            try:
                raw = _b64decode(x) if isinstance(x, str) else b""
            except ValueError:
                raw = b""
            if len(raw) != _PUBLIC_BYTES:
                raise ValueError(f"JWK {kid}: 'x' is not base64url of a 32-byte Ed25519 public key")
            keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
        return cls(keys)

    def to_jwks(self) -> dict[str, list[dict[str, str]]]:
        """``{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid", "x"}, ...]}``."""
        return {"keys": [public_jwk(kid, key) for kid, key in self._keys.items()]}

    def get(self, kid: str) -> Ed25519PublicKey | None:
        return self._keys.get(kid)

    def verify_key(self, kid: str) -> VerifyKey | None:
        """``kid``'s key as libsodium checks signatures with it; ``None`` if not in the ring."""
        return self._verify_keys.get(kid)

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def with_key(self, kid: str, public_key: Ed25519PublicKey) -> KeyRing:
        """A ring that also holds ``kid`` (replacing a key of the same kid)."""
        return KeyRing({**self._keys, kid: public_key})

    def without(self, kid: str) -> KeyRing:
        """A ring without ``kid``: every code signed under it becomes ``unknown_kid``."""
        return KeyRing({k: v for k, v in self._keys.items() if k != kid})

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"KeyRing(kids={list(self._keys)!r})"

"""ES256 signing keys: the current one signs, every one stays in the JWKS until the file is reset.

Rotation mirrors Supabase: the new key becomes current and the previous key is still published, so
tokens it signed keep verifying until they expire.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(kid=str(uuid.uuid4()), private_key=ec.generate_private_key(ec.SECP256R1()))

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "alg": "ES256", "use": "sig", "key_ops": ["verify"]}

    def private_jwk(self) -> dict[str, Any]:
        return {**json.loads(ECAlgorithm.to_jwk(self.private_key)), "kid": self.kid}

    @classmethod
    def from_private_jwk(cls, jwk: dict[str, Any]) -> SigningKey:
        key = ECAlgorithm.from_jwk(jwk)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"key {jwk.get('kid')!r} in the key file is not an EC private key")
        return cls(kid=str(jwk["kid"]), private_key=key)


class KeyRing:
    """The emulator's signing keys, loaded from and saved to ``path`` (created when missing)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        if path.exists():
            document = json.loads(path.read_text(encoding="utf-8"))
            self._keys = [SigningKey.from_private_jwk(jwk) for jwk in document["keys"]]
            self._current_kid = str(document["current_kid"])
        else:
            first = SigningKey.generate()
            self._keys, self._current_kid = [first], first.kid
            self._save()

    @property
    def current(self) -> SigningKey:
        return next(key for key in self._keys if key.kid == self._current_kid)

    def find(self, kid: str) -> SigningKey | None:
        return next((key for key in self._keys if key.kid == kid), None)

    @property
    def kids(self) -> list[str]:
        return [key.kid for key in self._keys]

    def rotate(self) -> SigningKey:
        new = SigningKey.generate()
        self._keys.append(new)
        self._current_kid = new.kid
        self._save()
        return new

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self._keys]}

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        document = {"current_kid": self._current_kid, "keys": [key.private_jwk() for key in self._keys]}
        # Write then rename, so a crash never leaves half a key file; private keys: owner only.
        tmp = self._path.with_name(self._path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
        tmp.replace(self._path)

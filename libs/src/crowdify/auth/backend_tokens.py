"""Tokens Crowdify signs itself: scanner devices and service-to-service calls."""

from __future__ import annotations

import time
import uuid
from typing import Any, Final

import jwt

from crowdify.auth.principal import ROLES
from crowdify.settings import DEVICE_AUDIENCE

BACKEND_ISSUER: Final = "crowdify"
BACKEND_ALGORITHM: Final = "HS256"

# Claims the caller may not set through ``extra``: they are what the verifier trusts.
_RESERVED_CLAIMS: Final = frozenset({"iss", "sub", "role", "iat", "exp", "jti", "email", "aud"})


def issue_backend_token(
    secret: str,
    *,
    subject: str,
    role: str,
    ttl_seconds: int = 3600,
    email: str | None = None,
    extra: dict[str, Any] | None = None,
    audience: str | None = None,
) -> str:
    """An HS256 token with ``iss="crowdify"``, ``sub``, ``role``, ``iat``, ``exp`` and a fresh ``jti``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {sorted(ROLES)}")
    if not subject:
        raise ValueError("subject must not be empty")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    clashing = _RESERVED_CLAIMS.intersection(extra or {})
    if clashing:
        raise ValueError(f"extra may not set {sorted(clashing)}")
    now = int(time.time())
    claims: dict[str, Any] = {
        **(extra or {}),
        "iss": BACKEND_ISSUER,
        "sub": subject,
        "role": role,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    if email is not None:
        claims["email"] = email
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=BACKEND_ALGORITHM)


def issue_device_token(secret: str, *, device_id: str, event_id: str, ttl_seconds: int) -> str:
    """A door device's token: role ``scanner``, audience :data:`DEVICE_AUDIENCE`, scoped to one
    event by its ``event_id`` claim (validation-svc refuses it for any other event, and once the
    device is revoked)."""
    return issue_backend_token(
        secret,
        subject=f"device:{device_id}",
        role="scanner",
        ttl_seconds=ttl_seconds,
        extra={"event_id": event_id, "device_id": device_id},
        audience=DEVICE_AUDIENCE,
    )

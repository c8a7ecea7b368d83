"""The ``auth_request`` endpoint: one bearer token in, an allow/deny verdict out.

nginx calls ``GET /verify`` with only the client's Authorization header. The token rules are
``crowdify.auth.TokenVerifier``'s, the same code every service runs, so the edge and the services
cannot disagree about what a valid token is.

Answers:
  200 + ``X-Auth-User-Id``, ``X-Auth-Role``, ``X-Auth-Token-Kind``, ``X-Auth-Email`` (when
      header-safe), and ``X-Accel-Expires``: how long nginx may cache the verdict, never past the
      token's ``exp`` and never above ``GATEWAY_AUTH_CACHE_SECONDS``.
  401 + ``X-Auth-Reason`` (``expired``, ``bad_signature``... safe to show) and ``X-Accel-Expires``
      (a few seconds for verdicts that cannot change, 0 for ones that can: an unknown ``kid``
      may appear after a key rotation, the JWKS may come back).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from starlette.types import Receive, Scope, Send

from crowdify.asgi import header
from crowdify.auth import AuthError, Principal, TokenVerifier

# Denials that may turn into an allow without the token changing: never cached.
_TRANSIENT_REASONS: Final = frozenset({"unknown_kid", "jwks_unavailable", "not_yet_valid"})


def _header_safe(value: str) -> bool:
    return 0 < len(value) <= 256 and all(32 <= ord(ch) < 127 for ch in value)


def bearer_token(authorization: str) -> str | None:
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def allow_ttl(principal: Principal, cap_seconds: int, now: float) -> int:
    """Seconds nginx may reuse this verdict: the token's remaining life (minus one second for
    clock granularity), capped."""
    exp = principal.claims.get("exp")
    if not isinstance(exp, int | float):
        return 0
    remaining = math.floor(float(exp) - now) - 1
    return max(0, min(cap_seconds, remaining))


@dataclass(frozen=True, slots=True)
class Verdict:
    """An answer of ``/verify``: its status and headers (lower-case names), nothing in the body."""

    status: int
    headers: dict[str, str]

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in self.headers.items()]
        raw.append((b"content-length", b"0"))
        return raw


def deny(reason: str, cache_seconds: int) -> Verdict:
    ttl = 0 if reason in _TRANSIENT_REASONS else cache_seconds
    return Verdict(401, {"x-auth-reason": reason, "x-accel-expires": str(ttl)})


def allow(principal: Principal, ttl: int) -> Verdict:
    headers = {
        "x-auth-role": principal.role,
        "x-auth-token-kind": principal.token_kind,
        "x-accel-expires": str(ttl),
    }
    # Claims are signed, but they are still someone else's strings: never let one break a header.
    if _header_safe(principal.user_id):
        headers["x-auth-user-id"] = principal.user_id
    if principal.email and _header_safe(principal.email):
        headers["x-auth-email"] = principal.email
    return Verdict(200, headers)


class VerifyEndpoint:
    """``GET /verify`` as a plain ASGI callable.

    Every authenticated request the edge has not cached a verdict for comes here (in an on-sale,
    every buyer's first order), so it reads the one header it needs from the scope and answers
    with two ASGI messages: no request object, routing, dependency solving or exception layers.
    An unexpected error still becomes a 500 from the server, which nginx reports as
    ``auth_unavailable``.
    """

    def __init__(
        self,
        verifier: Callable[[], TokenVerifier],
        *,
        allow_cache_seconds: int,
        deny_cache_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verifier = verifier
        self._allow_cache_seconds = allow_cache_seconds
        self._deny_cache_seconds = deny_cache_seconds
        self._clock = clock

    async def verdict(self, authorization: str) -> Verdict:
        token = bearer_token(authorization)
        if token is None:
            return deny("malformed", self._deny_cache_seconds)
        try:
            principal = await self._verifier().verify(token)
        except AuthError as exc:
            return deny(exc.reason, self._deny_cache_seconds)
        return allow(principal, allow_ttl(principal, self._allow_cache_seconds, self._clock()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            answer = Verdict(405, {"allow": "GET, HEAD"})
        else:
            answer = await self.verdict(header(scope, b"authorization") or "")
        await send({"type": "http.response.start", "status": answer.status, "headers": answer.raw_headers()})
        await send({"type": "http.response.body", "body": b""})

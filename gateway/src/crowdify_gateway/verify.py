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
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

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


def deny(reason: str, cache_seconds: int) -> Response:
    ttl = 0 if reason in _TRANSIENT_REASONS else cache_seconds
    return Response(status_code=401, headers={"X-Auth-Reason": reason, "X-Accel-Expires": str(ttl)})


def allow(principal: Principal, ttl: int) -> Response:
    headers = {
        "X-Auth-Role": principal.role,
        "X-Auth-Token-Kind": principal.token_kind,
        "X-Accel-Expires": str(ttl),
    }
    # Claims are signed, but they are still someone else's strings: never let one break a header.
    if _header_safe(principal.user_id):
        headers["X-Auth-User-Id"] = principal.user_id
    if principal.email and _header_safe(principal.email):
        headers["X-Auth-Email"] = principal.email
    return Response(status_code=200, headers=headers)


def make_verify_endpoint(
    get_verifier: Callable[[Request], TokenVerifier],
    *,
    allow_cache_seconds: int,
    deny_cache_seconds: int,
    clock: Callable[[], float] = time.time,
) -> Callable[[Request], Awaitable[Response]]:
    async def verify(request: Request) -> Response:
        token = bearer_token(request.headers.get("authorization", ""))
        if token is None:
            return deny("malformed", deny_cache_seconds)
        try:
            principal = await get_verifier(request).verify(token)
        except AuthError as exc:
            return deny(exc.reason, deny_cache_seconds)
        return allow(principal, allow_ttl(principal, allow_cache_seconds, clock()))

    return verify

"""Bearer-token verification for every Crowdify service (see docs/api.md, "Tokens and roles").

Two kinds of token are accepted:

* Supabase Auth access tokens: ``iss == f"{SUPABASE_URL}/auth/v1"``, ``aud == "authenticated"``,
  ``role == "authenticated"``; ES256/RS256 with a key from the project's JWKS (chosen by ``kid``),
  or HS256 with the legacy ``SUPABASE_JWT_SECRET`` when one is configured and
  ``SUPABASE_LEGACY_HS256`` is not switched off. The application role is
  ``app_metadata.role``, which only the service role can write. ``user_metadata`` is editable by the
  user and is never read.
* Backend tokens: HS256 with ``JWT_SECRET``, ``iss == "crowdify"``, application role in ``role``.
  A backend token with an ``aud`` (door devices: ``DEVICE_AUDIENCE``) is accepted only by a
  verifier whose settings list that audience (``accepted_token_audiences``: validation-svc and the
  edge); a device token without one (issued before audiences existed) is refused everywhere.
  A backend token without an audience (``make token``, tests) stands for a person, where people
  use Supabase sessions: it is accepted only in development and test, so in production a route
  for people takes Supabase tokens and a route for devices takes device tokens (or staff's
  Supabase sessions, where the route's roles allow them).

The unverified header and ``iss`` only choose which key and rules apply; the chosen rules are then
enforced in full by PyJWT. Each key is used with exactly one algorithm, so a token cannot pick an
HMAC check against a public key (algorithm confusion), and ``alg: none`` never verifies. Keys named
by the token itself (``jku``, ``x5u``, ``jwk`` headers) are ignored.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import httpx
import jwt
from jwt import PyJWK
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWTError,
)

from crowdify.auth.backend_tokens import BACKEND_ALGORITHM, BACKEND_ISSUER
from crowdify.auth.errors import AuthError, AuthReason
from crowdify.auth.jwks import ASYMMETRIC_ALGORITHMS, JwksCache
from crowdify.auth.principal import Principal, Role, parse_role
from crowdify.auth.token_cache import VerifiedTokens
from crowdify.settings import ServiceSettings

log = logging.getLogger(__name__)

SUPABASE_AUDIENCE: Final = "authenticated"
SUPABASE_USER_DB_ROLE: Final = "authenticated"
SUPABASE_LEGACY_ALGORITHM: Final = "HS256"
# The issuer of Supabase's legacy anon/service_role API keys: project keys, not user sessions.
SUPABASE_API_KEY_ISSUER: Final = "supabase"

_SUPABASE_REQUIRED: Final = ["iss", "aud", "exp", "iat", "sub", "role"]
_BACKEND_REQUIRED: Final = ["iss", "exp", "iat", "sub", "role"]

_REASON_BY_ERROR: Final[Sequence[tuple[type[PyJWTError], AuthReason]]] = (
    (ExpiredSignatureError, "expired"),
    (ImmatureSignatureError, "not_yet_valid"),
    (InvalidSignatureError, "bad_signature"),
    (InvalidAudienceError, "wrong_audience"),
    (InvalidIssuerError, "wrong_issuer"),
    (InvalidAlgorithmError, "alg_not_allowed"),
    (InvalidKeyError, "alg_not_allowed"),
    (MissingRequiredClaimError, "missing_claim"),
)


class TokenVerifier:
    """Turns a bearer token into a :class:`Principal` or raises :class:`AuthError`.

    One instance per process (FastAPI services keep it in ``app.state.token_verifier``): it owns
    the JWKS cache. Pass ``http_client`` to share a client; otherwise one is created on first use
    and closed by :meth:`aclose`.
    """

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        http_client: httpx.AsyncClient | None = None,
        jwks_refresh_cooldown_seconds: float = 30.0,
        leeway_seconds: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        verified: VerifiedTokens | None = None,
    ) -> None:
        self._backend_secret = settings.jwt_secret.get_secret_value()
        # Empty means "not configured" (or SUPABASE_LEGACY_HS256=false), never "the empty key".
        self._supabase_secret = settings.supabase_legacy_secret
        self.supabase_issuer = settings.supabase_url.rstrip("/") + "/auth/v1"
        self._leeway = leeway_seconds
        self.jwks = JwksCache(
            f"{self.supabase_issuer}/.well-known/jwks.json",
            http_client=http_client,
            cache_seconds=settings.jwks_cache_seconds,
            refresh_cooldown_seconds=jwks_refresh_cooldown_seconds,
            clock=clock,
        )
        self.verified = verified if verified is not None else VerifiedTokens()
        self._audiences = tuple(settings.accepted_token_audiences)
        self._plain_backend_tokens = settings.accepts_plain_backend_tokens

    def _backend_audience(self, unverified_claims: Mapping[str, Any]) -> list[str] | None:
        """The audiences a backend token is decoded against: none for a token without ``aud``
        (people and service calls), this process's accepted ones for a token with one."""
        if "aud" not in unverified_claims:
            if "device_id" in unverified_claims:
                raise AuthError("wrong_audience", "a device token without an audience")
            if not self._plain_backend_tokens:
                raise AuthError("wrong_audience", "backend tokens without an audience are for development")
            return None
        if not self._audiences:
            raise AuthError("wrong_audience", "this service accepts no backend token audience")
        return list(self._audiences)

    async def verify(self, token: str) -> Principal:
        """The caller a token names; a token verified before and still valid is not checked
        again (:class:`~crowdify.auth.token_cache.VerifiedTokens`)."""
        principal = self.verified.get(token)
        if principal is None:
            principal = await self._verify(token)
            self.verified.put(token, principal)
        return principal

    async def _verify(self, token: str) -> Principal:
        header, unverified_claims = _read_unverified(token)
        alg = header.get("alg")
        claimed_issuer = unverified_claims.get("iss")

        if alg in ASYMMETRIC_ALGORITHMS:
            if claimed_issuer != self.supabase_issuer:
                raise AuthError("wrong_issuer", "asymmetric tokens are only accepted from Supabase")
            kid = header.get("kid")
            if not isinstance(kid, str) or not kid:
                raise AuthError("unknown_kid", "asymmetric token without kid")
            key = await self.jwks.get_signing_key(kid)
            claims = self._decode(token, key, alg, issuer=self.supabase_issuer, audience=SUPABASE_AUDIENCE)
            return self._supabase_principal(claims)

        if alg == BACKEND_ALGORITHM and claimed_issuer == BACKEND_ISSUER:
            audience = self._backend_audience(unverified_claims)
            claims = self._decode(token, self._backend_secret, alg, issuer=BACKEND_ISSUER, audience=audience)
            return _backend_principal(claims)

        if alg == SUPABASE_LEGACY_ALGORITHM and claimed_issuer == self.supabase_issuer:
            if not self._supabase_secret:
                raise AuthError("alg_not_allowed", "no legacy Supabase JWT secret is configured")
            claims = self._decode(
                token, self._supabase_secret, alg, issuer=self.supabase_issuer, audience=SUPABASE_AUDIENCE
            )
            return self._supabase_principal(claims)

        if claimed_issuer == SUPABASE_API_KEY_ISSUER:
            raise AuthError("not_a_user_token", "Supabase API keys are not user tokens")
        if alg == BACKEND_ALGORITHM:
            raise AuthError("wrong_issuer", f"unexpected issuer {claimed_issuer!r}")
        raise AuthError("alg_not_allowed", f"algorithm {alg!r} is not accepted")

    def _decode(
        self, token: str, key: PyJWK | str, alg: str, *, issuer: str, audience: str | list[str] | None
    ) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=issuer,
                audience=audience,
                leeway=self._leeway,
                options={
                    "require": _SUPABASE_REQUIRED if audience else _BACKEND_REQUIRED,
                    "verify_signature": True,
                },
            )
        except PyJWTError as exc:
            raise AuthError(_reason_for(exc), str(exc)) from exc

    def _supabase_principal(self, claims: dict[str, Any]) -> Principal:
        if claims.get("role") != SUPABASE_USER_DB_ROLE:
            raise AuthError("not_a_user_token", f"Supabase role {claims.get('role')!r}")
        return Principal(
            user_id=_subject(claims),
            role=_application_role(claims),
            email=_email(claims),
            token_kind="supabase",
            claims=claims,
        )

    async def aclose(self) -> None:
        await self.jwks.aclose()


def _read_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before any check: used only to pick the key and rules.

    Read with the standard library rather than PyJWT: PyJWT checks each segment's base64
    alphabet one character at a time in Python, and reading the header and claims through it
    parsed a token twice more before ``_decode`` parsed it for the check. Nothing read here is
    trusted: ``_decode`` has PyJWT parse and verify the whole token, strictly, whatever this
    read let through, and anything this read refuses is refused as ``malformed``.
    """
    segments = token.split(".")
    if len(segments) != 3:
        raise AuthError("malformed", "a JWT has three segments")
    header, claims = _json_segment(segments[0], "header"), _json_segment(segments[1], "claims")
    if not isinstance(header.get("alg"), str) or header["alg"].lower() == "none":
        raise AuthError("alg_not_allowed", "unsigned token")
    return header, claims


def _json_segment(segment: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, RecursionError) as exc:  # binascii, UnicodeDecode and JSON errors are ValueErrors
        raise AuthError("malformed", f"the {name} is not base64url JSON") from exc
    if not isinstance(value, dict):
        raise AuthError("malformed", f"the {name} is not a JSON object")
    return value


def _reason_for(exc: PyJWTError) -> AuthReason:
    for error_type, reason in _REASON_BY_ERROR:
        if isinstance(exc, error_type):
            return reason
    return "malformed"


def _subject(claims: Mapping[str, Any]) -> str:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise AuthError("missing_claim", "sub")
    return sub


def _email(claims: Mapping[str, Any]) -> str | None:
    email = claims.get("email")
    # Supabase sends "" for a user without an email (phone or anonymous sign-in).
    return email if isinstance(email, str) and email else None


def _application_role(claims: Mapping[str, Any]) -> Role:
    """``app_metadata.role``; absent or unknown means ``user``, the least privilege.

    An unknown value (a typo, a role another app stored) is downgraded rather than refused: it can
    never grant more than a buyer has, and refusing would lock that person out of buying tickets.
    """
    app_metadata = claims.get("app_metadata")
    raw = app_metadata.get("role") if isinstance(app_metadata, Mapping) else None
    if raw is None:
        return "user"
    role = parse_role(raw)
    if role is None:
        log.warning("unknown app_metadata.role %r for sub %s; treating as user", raw, claims.get("sub"))
        return "user"
    return role


def _backend_principal(claims: dict[str, Any]) -> Principal:
    role = parse_role(claims.get("role"))
    if role is None:
        raise AuthError("unknown_role", f"backend token role {claims.get('role')!r}")
    return Principal(
        user_id=_subject(claims), role=role, email=_email(claims), token_kind="backend", claims=claims
    )

"""Why a token was refused, as a short machine-readable reason."""

from __future__ import annotations

from typing import Literal

AuthReason = Literal[
    "malformed",  # not a JWT, or a claim of the wrong type
    "alg_not_allowed",  # alg none, an algorithm we do not accept, or one that does not match the key
    "bad_signature",
    "expired",
    "not_yet_valid",  # nbf or iat in the future
    "wrong_audience",
    "wrong_issuer",
    "missing_claim",
    "unknown_kid",  # no key with that id in the JWKS, even after a refresh
    "not_a_user_token",  # a Supabase API key (anon/service_role) or a non-"authenticated" role
    "unknown_role",  # a backend token whose role is not one of ours
    "jwks_unavailable",  # the JWKS could not be fetched and no cached keys exist
]


class AuthError(Exception):
    """A bearer token that must not be accepted.

    ``reason`` is safe to show to the client and to put in logs; ``detail`` may say more.
    """

    def __init__(self, reason: AuthReason, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: AuthReason = reason
        self.detail = detail

"""Verified tokens remembered per process, so a door device's token is checked once, not on every
scan.

A verification is HMAC or ECDSA arithmetic plus claim checks on every request; a door device
sends the same token thousands of times. An entry lasts until the token's ``exp`` and never
longer than ``max_age_seconds`` (so a key withdrawn from the JWKS stops working within that
time); only successful verifications are kept, and the oldest entry makes room for a new one
once ``max_entries`` are held. Revocation of a door device is not a property of the token: the
service that honours it checks it on each request (validation-svc does so inside the statement
that decides a scan), so caching the verification never delays it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from crowdify.auth.principal import Principal


class VerifiedTokens:
    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_age_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_entries = max_entries
        self.max_age_seconds = max_age_seconds
        self._clock = clock
        self._entries: dict[str, tuple[Principal, float]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, until = entry
        if self._clock() >= until:
            del self._entries[token]
            return None
        return principal

    def put(self, token: str, principal: Principal) -> None:
        if self.max_entries <= 0:
            return
        exp = principal.claims.get("exp")
        now = self._clock()
        until = now + self.max_age_seconds
        if isinstance(exp, int | float):
            until = min(until, float(exp))
        if until <= now:
            return
        if token not in self._entries and len(self._entries) >= self.max_entries:
            # dicts keep insertion order: the first key is the oldest entry.
            del self._entries[next(iter(self._entries))]
        self._entries[token] = (principal, until)

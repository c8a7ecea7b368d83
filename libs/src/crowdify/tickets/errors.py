"""Why a ticket code was refused, as a short machine-readable reason."""

from __future__ import annotations

from typing import Literal

InvalidReason = Literal[
    "malformed",  # not a Crowdify ticket code: wrong shape, characters, lengths or encoding
    "unsupported_version",  # a Crowdify code of a version this verifier does not read (CF2, ...)
    "unknown_kid",  # signed under a key id the key ring does not hold (never known, or removed)
    "bad_signature",  # the signature does not match the version, key id and payload
]


class InvalidTicketCode(ValueError):
    """A QR payload that must not be admitted.

    ``reason`` is safe for logs, metrics and the scanner; ``detail`` says a little more and never
    repeats the code itself (a code is a bearer credential for one entry).
    """

    def __init__(self, reason: InvalidReason, detail: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason: InvalidReason = reason
        self.detail = detail

"""Signed ticket codes: what a ticket's QR code says, and how anyone can check it offline.

The issuer (purchase-svc) holds Ed25519 private keys and calls :func:`sign_ticket`; the
validation service and door scanners hold only public keys (a :class:`KeyRing`, shipped to
scanners as JWKs in the manifest) and call :func:`verify_ticket`, which never needs a database.
Format, key ids and rotation: ADR 0006 and :mod:`crowdify.tickets.codes`.
"""

from crowdify.tickets.codes import (
    MAX_CODE_LENGTH,
    VERSION,
    KnownCode,
    TicketClaims,
    code_digest,
    read_known_ticket,
    sign_ticket,
    verify_ticket,
)
from crowdify.tickets.errors import InvalidReason, InvalidTicketCode
from crowdify.tickets.keys import KeyRing, SigningKey, parse_signing_keys, public_jwk
from crowdify.tickets.settings import TicketSigningSettings

__all__ = [
    "MAX_CODE_LENGTH",
    "VERSION",
    "InvalidReason",
    "InvalidTicketCode",
    "KeyRing",
    "KnownCode",
    "SigningKey",
    "TicketClaims",
    "TicketSigningSettings",
    "code_digest",
    "parse_signing_keys",
    "public_jwk",
    "read_known_ticket",
    "sign_ticket",
    "verify_ticket",
]

"""Signed ticket codes: the exact string a ticket's QR code carries (ADR 0006).

    CF1.<kid>.<payload>.<signature>

* ``CF1``: format and version. Another version is refused as ``unsupported_version``.
* ``kid``: the signing key's id (``KID_PATTERN``), so a verifier tries exactly one key.
* ``payload``: base32 (RFC 4648, upper case, unpadded) of 54 bytes, big-endian: ticket id (16),
  event id (16), ticket type id (16), issued-at in Unix seconds (uint32), serial (uint16).
* ``signature``: base32 of the 64-byte Ed25519 signature of the ASCII text before the last dot,
  ``CF1.<kid>.<payload>``: version, key id and payload are all covered, so none can be swapped.

Every character is an upper-case letter, a digit, ``-`` or ``.``: the QR alphanumeric set, which
packs 5.5 bits a character against byte mode's 8. A code is 197 to 212 characters (by kid
length) and fits a version 8 QR code at error correction M. Scanners that change case (keyboard
wedges with Caps Lock on) do no harm: codes are read case-insensitively.

Verification needs the public key ring only: no database, no network. Whether the ticket is
still valid (revoked, already used, refunded) is the validation service's question, asked by
ticket id after the code has proved genuine.

A service that keeps the :func:`code_digest` of every code issued (validation-svc's registry,
ADR 0024) can recognise a scanned code as one of them without the signature check, which costs
about 70 us of CPU against about 1 us for the digest: :func:`read_known_ticket`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, NamedTuple
from uuid import UUID

from nacl.exceptions import BadSignatureError

from crowdify.tickets.errors import InvalidTicketCode
from crowdify.tickets.keys import KID_MAX_LENGTH, KID_PATTERN, KeyRing, SigningKey

__all__ = [
    "DIGEST_BYTES",
    "DIGEST_KEY_BYTES",
    "MAX_CODE_LENGTH",
    "VERSION",
    "KnownCode",
    "TicketClaims",
    "code_digest",
    "read_known_ticket",
    "sign_ticket",
    "verify_ticket",
]

VERSION: Final = "CF1"
_PAYLOAD: Final = struct.Struct(">16s16s16sIH")
_SIGNATURE_BYTES: Final = 64
_MAX_UINT32: Final = 2**32 - 1
_MAX_SERIAL: Final = 2**16 - 1
# Keyed BLAKE2b-128 of a code: finding another code with the same digest is a 2**128 search, and
# without the key no digest can be made at all.
DIGEST_BYTES: Final = 16
DIGEST_KEY_BYTES: Final = range(32, 65)  # BLAKE2b takes keys of up to 64 bytes


def _b32_chars(n_bytes: int) -> int:
    return -(-n_bytes * 8 // 5)


PAYLOAD_CHARS: Final = _b32_chars(_PAYLOAD.size)  # 87
SIGNATURE_CHARS: Final = _b32_chars(_SIGNATURE_BYTES)  # 103
MIN_CODE_LENGTH: Final = len(VERSION) + 1 + 1 + 1 + PAYLOAD_CHARS + 1 + SIGNATURE_CHARS  # 197
MAX_CODE_LENGTH: Final = MIN_CODE_LENGTH - 1 + KID_MAX_LENGTH  # 212
# Longer input is refused before any work is done on it: scanners may add whitespace, no more.
_MAX_INPUT_LENGTH: Final = MAX_CODE_LENGTH + 32
# Something that looks like a version of this format: "CF" and a number.
_VERSION_SHAPE: Final = re.compile(r"CF[0-9]{1,3}")
_BASE32: Final = re.compile(r"[A-Z2-7]+")
_BASE32_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True, slots=True)
class TicketClaims:
    """What a ticket code asserts. No personal data: the code is printed, photographed, shared.

    ``issued_at`` is kept to the second in UTC (naive datetimes are refused). ``serial`` counts
    the codes issued for one ticket: re-issuing a code (a holder's QR was posted online) bumps it,
    and the validation service refuses a serial lower than the ticket's current one.
    """

    ticket_id: UUID
    event_id: UUID
    ticket_type_id: UUID
    issued_at: datetime
    serial: int = 0

    def __post_init__(self) -> None:
        for name in ("ticket_id", "event_id", "ticket_type_id"):
            if not isinstance(getattr(self, name), UUID):
                raise TypeError(f"{name} must be a UUID")
        if not isinstance(self.issued_at, datetime) or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be a timezone-aware datetime")
        issued_at = self.issued_at.astimezone(UTC).replace(microsecond=0)
        if not 0 <= issued_at.timestamp() <= _MAX_UINT32:
            raise ValueError("issued_at must fall between 1970 and 2106")
        object.__setattr__(self, "issued_at", issued_at)
        if not isinstance(self.serial, int) or not 0 <= self.serial <= _MAX_SERIAL:
            raise ValueError(f"serial must be an integer from 0 to {_MAX_SERIAL}")


def _b32encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


# RFC 4648 base32 digits, respelled as the digits of base 32 in positional notation (0-9, A-V),
# so that int(text, 32) decodes in C: about 2 us where base64.b32decode takes 10 (pure Python).
_BASE32_AS_DIGITS: Final = str.maketrans(_BASE32_ALPHABET, "0123456789ABCDEFGHIJKLMNOPQRSTUV")


def _check_b32(text: str, n_bytes: int) -> int:
    """``malformed`` unless ``text`` is the canonical unpadded base32 of ``n_bytes``; the number of
    spare bits its last character carries."""
    if len(text) != _b32_chars(n_bytes) or not _BASE32.fullmatch(text):
        raise InvalidTicketCode("malformed", "payload or signature has the wrong length or characters")
    spare_bits = len(text) * 5 - n_bytes * 8
    # The last character carries spare bits (fewer than its five); only the spelling with them
    # zero is accepted, so a code has exactly one spelling (up to case).
    if _BASE32_ALPHABET.index(text[-1]) & ((1 << spare_bits) - 1):
        raise InvalidTicketCode("malformed", "payload or signature is not canonical base32")
    return spare_bits


def _b32decode(text: str, n_bytes: int) -> bytes:
    """Exactly ``n_bytes`` from canonical unpadded base32, else ``malformed``."""
    spare_bits = _check_b32(text, n_bytes)
    # Only A-Z and 2-7 remain, so int() sees plain base-32 digits (no sign, space or underscore).
    value = int(text.translate(_BASE32_AS_DIGITS), 32)
    return (value >> spare_bits).to_bytes(n_bytes, "big")


def sign_ticket(claims: TicketClaims, key: SigningKey) -> str:
    """The QR payload for ``claims``, signed by ``key``."""
    payload = _PAYLOAD.pack(
        claims.ticket_id.bytes,
        claims.event_id.bytes,
        claims.ticket_type_id.bytes,
        int(claims.issued_at.timestamp()),
        claims.serial,
    )
    signed = f"{VERSION}.{key.kid}.{_b32encode(payload)}"
    return f"{signed}.{_b32encode(key.sign(signed.encode('ascii')))}"


@dataclass(frozen=True, slots=True)
class _ReadCode:
    """A code taken apart, its signature not yet checked (nor decoded)."""

    canonical: str
    kid: str
    payload_text: str
    signature_text: str


class KnownCode(NamedTuple):
    """What a scan needs of a code read without its signature checked (:func:`read_known_ticket`)."""

    ticket_id: UUID
    event_id: UUID
    serial: int
    digest: bytes


def _read(payload: object) -> _ReadCode:
    """The parts of a well-formed code: shape (``malformed``) and version
    (``unsupported_version``) checked, the signature's spelling too; key id and signature not."""
    if not isinstance(payload, str):
        raise InvalidTicketCode("malformed", "not a string")
    if len(payload) > _MAX_INPUT_LENGTH:
        raise InvalidTicketCode("malformed", "too long")
    code = payload.strip()
    if not code.isascii():
        raise InvalidTicketCode("malformed", "not ASCII")
    code = code.upper()
    version, _, rest = code.partition(".")
    if version != VERSION:
        if _VERSION_SHAPE.fullmatch(version):
            raise InvalidTicketCode("unsupported_version", f"version {version} is not supported")
        raise InvalidTicketCode("malformed", "not a Crowdify ticket code")
    parts = rest.split(".")
    if len(parts) != 3:
        raise InvalidTicketCode("malformed", f"{VERSION} has 4 dot-separated parts")
    kid, payload_text, signature_text = parts
    if not KID_PATTERN.fullmatch(kid):
        raise InvalidTicketCode("malformed", "invalid key id")
    _check_b32(signature_text, _SIGNATURE_BYTES)  # decoded only where it is verified
    return _ReadCode(canonical=code, kid=kid, payload_text=payload_text, signature_text=signature_text)


def _digest(canonical: str, key: bytes) -> bytes:
    if len(key) not in DIGEST_KEY_BYTES:
        raise ValueError("a code digest key is 32 to 64 bytes")
    return hashlib.blake2b(canonical.encode("ascii"), digest_size=DIGEST_BYTES, key=key).digest()


def verify_ticket(payload: str, keyring: KeyRing) -> TicketClaims:
    """The claims of a genuine code; :class:`InvalidTicketCode` for anything else.

    Checks, in order: shape (``malformed``), version (``unsupported_version``), key id
    (``unknown_kid``), signature (``bad_signature``). Nothing but ``InvalidTicketCode`` escapes,
    whatever the input. Surrounding whitespace is ignored and case does not matter.
    """
    read = _read(payload)
    payload_bytes = _b32decode(read.payload_text, _PAYLOAD.size)
    signature = _b32decode(read.signature_text, _SIGNATURE_BYTES)
    verify_key = keyring.verify_key(read.kid)
    if verify_key is None:
        raise InvalidTicketCode("unknown_kid", f"no key {read.kid} in the key ring")
    signed_text = read.canonical[: -len(read.signature_text) - 1].encode("ascii")
    try:
        verify_key.verify(signed_text, signature)
    except BadSignatureError:
        raise InvalidTicketCode("bad_signature", f"signature does not verify under key {read.kid}") from None
    ticket_id, event_id, ticket_type_id, issued_at, serial = _PAYLOAD.unpack(payload_bytes)
    return TicketClaims(
        ticket_id=UUID(bytes=ticket_id),
        event_id=UUID(bytes=event_id),
        ticket_type_id=UUID(bytes=ticket_type_id),
        issued_at=datetime.fromtimestamp(issued_at, UTC),
        serial=serial,
    )


def code_digest(payload: str, key: bytes) -> bytes:
    """A keyed digest (BLAKE2b-128 under ``key``) of the code's one canonical spelling (upper
    case, no surrounding whitespace): what a holder of the issued codes keeps to recognise one
    again without its signature. The key keeps the digests the holder's own: whoever can read or
    write where they are stored, but not the key, can make none.

    :class:`InvalidTicketCode` for a code that is not well formed (as :func:`verify_ticket`)."""
    return _digest(_read(payload).canonical, key)


def read_known_ticket(payload: str, keyring: KeyRing, digest_key: bytes) -> KnownCode:
    """What a code asserts that a scan needs, and its :func:`code_digest`; the signature is
    neither checked nor decoded.

    For a verifier that holds the digests of the codes it issued: a code whose digest is one of
    them is that issued code, byte for byte, so what it asserts is genuine. Any other code must
    still go through :func:`verify_ticket`. Refuses what :func:`verify_ticket` refuses before the
    signature (shape, version, a key id outside ``keyring``), with the same reasons. ``digest_key``
    is the key the holder made its digests with (:func:`code_digest`)."""
    read = _read(payload)
    payload_bytes = _b32decode(read.payload_text, _PAYLOAD.size)
    if keyring.verify_key(read.kid) is None:
        raise InvalidTicketCode("unknown_kid", f"no key {read.kid} in the key ring")
    ticket_id, event_id, _, _, serial = _PAYLOAD.unpack(payload_bytes)
    return KnownCode(UUID(bytes=ticket_id), UUID(bytes=event_id), serial, _digest(read.canonical, digest_key))

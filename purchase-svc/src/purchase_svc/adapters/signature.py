"""Mercado Pago webhook signatures (``x-signature``), checked with our own code.

docs/integrations.md 1.5: ``x-signature: ts=<ts>,v1=<hex>`` is ``HMAC-SHA256(secret, manifest)`` over
``id:<data.id from the query>;request-id:<x-request-id>;ts:<ts>;``, leaving out any pair whose
value is missing. What we accept beyond the SDK's validator, on purpose:

- the current secret and the previous one (a "Reset" in Mercado Pago's panel rotates it);
- ``data.id`` as received or lower-cased (the SDKs disagree on the casing Mercado Pago signs);
- ``ts`` in seconds or milliseconds, and no rejection on clock drift: Mercado Pago retries for
  hours, and whether it re-signs retries is unconfirmed. A replayed notification can only trigger
  a fetch of a payment from Mercado Pago's own API, which is harmless.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedSignature:
    ts: str | None
    hashes: dict[str, str]


def parse_signature(header: str | None) -> ParsedSignature:
    """``ts`` and the ``v<n>`` hashes of an ``x-signature`` header; junk parts are ignored."""
    ts: str | None = None
    hashes: dict[str, str] = {}
    for part in (header or "").split(","):
        key, sep, value = part.partition("=")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "ts" and value:
            ts = value
        elif key[:1] == "v" and key[1:].isdigit() and value:
            hashes[key] = value.lower()
    return ParsedSignature(ts, hashes)


def manifest(data_id: str | None, request_id: str | None, ts: str) -> str:
    """The signed text; a missing value drops its whole ``key:value;`` pair."""
    parts = []
    if data_id:
        parts.append(f"id:{data_id}")
    if request_id:
        parts.append(f"request-id:{request_id}")
    parts.append(f"ts:{ts}")
    return ";".join(parts) + ";"


def sign(secret: str, data_id: str | None, request_id: str | None, ts: str) -> str:
    """The ``v1`` hex digest Mercado Pago would send (used by tests and tools)."""
    return hmac.new(secret.encode(), manifest(data_id, request_id, ts).encode(), hashlib.sha256).hexdigest()


def ts_seconds(ts: str) -> float | None:
    """``ts`` as Unix seconds (13 or more digits means milliseconds); None if not a number."""
    if not ts.isdigit():
        return None
    value = int(ts)
    return value / 1000 if len(ts) >= 13 else float(value)


def verify_signature(
    secrets: Iterable[str | None],
    x_signature: str | None,
    x_request_id: str | None,
    data_id: str | None,
) -> bool:
    """Whether ``x_signature`` was made with one of ``secrets`` for this notification."""
    parsed = parse_signature(x_signature)
    v1 = parsed.hashes.get("v1")
    if not parsed.ts or not v1:
        return False
    ids: list[str | None] = [data_id]
    if data_id and data_id.lower() != data_id:
        ids.append(data_id.lower())
    request_id = x_request_id.strip() if x_request_id else None
    for secret in secrets:
        if not secret:
            continue
        for candidate in ids:
            if hmac.compare_digest(sign(secret, candidate, request_id, parsed.ts), v1):
                return True
    return False

"""The x-signature of Mercado Pago webhooks (docs/integrations.md 1.5, "The signature").

Manifest ``id:{data.id};request-id:{x-request-id};ts:{ts};``; a value that is absent drops its
whole ``key:value;`` pair, as the official SDK validator does.
"""

from __future__ import annotations

import hashlib
import hmac


def manifest(data_id: str | None, request_id: str | None, ts: int | str) -> str:
    parts = []
    if data_id:
        parts.append(f"id:{data_id}")
    if request_id:
        parts.append(f"request-id:{request_id}")
    parts.append(f"ts:{ts}")
    return ";".join(parts) + ";"


def sign(secret: str, data_id: str | None, request_id: str | None, ts: int | str) -> str:
    """The ``v1`` value: hex HMAC-SHA256 of the manifest keyed with the webhook secret."""
    message = manifest(data_id, request_id, ts).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, data_id: str | None, request_id: str | None, ts: int) -> str:
    """The full ``x-signature`` header value; ``ts`` is Unix seconds, as the SDK validator expects."""
    return f"ts={ts},v1={sign(secret, data_id, request_id, ts)}"

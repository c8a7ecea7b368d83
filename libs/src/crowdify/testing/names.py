"""Names no other test run will pick."""

from __future__ import annotations

from uuid import uuid4


def unique_name(prefix: str = "test") -> str:
    """``<prefix>_<10 hex digits>``: lowercase, so it is a valid unquoted Postgres identifier
    (keep ``prefix`` short: identifiers stop at 63 bytes) and a valid RabbitMQ name."""
    return f"{prefix}_{uuid4().hex[:10]}"

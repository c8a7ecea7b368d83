"""What an email is, independent of storage and providers: its kinds, its stable identity and
the retry schedule. Pure Python, no I/O."""

from __future__ import annotations

import uuid
from enum import StrEnum

# Fixed forever: email ids (and so Message-IDs) derive from it.
EMAIL_NAMESPACE = uuid.UUID("5f0c1d3e-8a47-4b8e-9a51-2f6d7c0e4b19")


class Kind(StrEnum):
    TICKETS = "tickets"
    ORDER_EXPIRED = "order_expired"
    REFUND = "refund"
    EVENT_CANCELLED = "event_cancelled"


class Documents(StrEnum):
    """How a tickets email carried the order's documents."""

    ATTACHED = "attached"
    LINK = "link"


def email_id(order_id: uuid.UUID, kind: Kind, reference: str = "") -> uuid.UUID:
    """The id of the one email of ``kind`` for ``order_id`` (and ``reference``): every delivery of
    every message asking for it names the same row."""
    return uuid.uuid5(EMAIL_NAMESPACE, f"{order_id}/{kind.value}/{reference}")


def message_id(email: uuid.UUID, domain: str) -> str:
    """The RFC 5322 Message-ID of every attempt at one email: a copy sent twice (provider accepted
    it, the process died before recording that) carries the same id, so mail systems that
    de-duplicate by Message-ID show it once."""
    return f"<{email}@{domain}>"


def retry_delay(attempts: int, *, base: float, cap: float) -> float:
    """Seconds before the next try after ``attempts`` failed ones: base, 2*base, 4*base ... cap."""
    if attempts < 1:
        return 0.0
    return float(min(cap, base * 2 ** min(attempts - 1, 32)))

"""The order state machine: pure rules, no I/O.

```
pending ──reserved──> awaiting_payment ──approved──> paid ──refund──> partially_refunded ──> refunded
   │                     │       │                    └──────────── full refund ──────────────┘
   │                     │       └──hold expired──> expired ──late payment, tickets taken again──> paid
   │                     │                             └──late payment, no room──> refunded
   ├──rejected──> rejected                  cancelled <──┘ (buyer or admin, unpaid)
   └──payment provider down──> cancelled
```
Status only moves forward along these arrows. A notification or message that would move it
anywhere else (an ``approved`` arriving after a ``refunded``, a duplicate ``reserved``) is
answered by :func:`next_status` with ``None``: the caller records it and changes nothing.
"""

from __future__ import annotations

from enum import StrEnum


class OrderStatus(StrEnum):
    PENDING = "pending"
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"


class OrderEvent(StrEnum):
    RESERVED = "reserved"
    RESERVATION_REJECTED = "reservation_rejected"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    PAYMENT_APPROVED = "payment_approved"
    LATE_PAYMENT_ACCEPTED = "late_payment_accepted"
    LATE_PAYMENT_REFUSED = "late_payment_refused"
    HOLD_EXPIRED = "hold_expired"
    CANCELLED = "cancelled"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


S, E = OrderStatus, OrderEvent

TRANSITIONS: dict[tuple[OrderStatus, OrderEvent], OrderStatus] = {
    (S.PENDING, E.RESERVED): S.AWAITING_PAYMENT,
    (S.PENDING, E.RESERVATION_REJECTED): S.REJECTED,
    (S.PENDING, E.PAYMENT_UNAVAILABLE): S.CANCELLED,
    (S.PENDING, E.CANCELLED): S.CANCELLED,
    (S.AWAITING_PAYMENT, E.PAYMENT_APPROVED): S.PAID,
    (S.AWAITING_PAYMENT, E.HOLD_EXPIRED): S.EXPIRED,
    (S.AWAITING_PAYMENT, E.CANCELLED): S.CANCELLED,
    (S.EXPIRED, E.LATE_PAYMENT_ACCEPTED): S.PAID,
    (S.EXPIRED, E.LATE_PAYMENT_REFUSED): S.REFUNDED,
    (S.CANCELLED, E.LATE_PAYMENT_REFUSED): S.REFUNDED,
    (S.PAID, E.PARTIALLY_REFUNDED): S.PARTIALLY_REFUNDED,
    (S.PAID, E.REFUNDED): S.REFUNDED,
    (S.PARTIALLY_REFUNDED, E.PARTIALLY_REFUNDED): S.PARTIALLY_REFUNDED,
    (S.PARTIALLY_REFUNDED, E.REFUNDED): S.REFUNDED,
}

TERMINAL = frozenset({S.REJECTED, S.REFUNDED})
UNPAID = frozenset({S.PENDING, S.AWAITING_PAYMENT})


def next_status(current: OrderStatus, event: OrderEvent) -> OrderStatus | None:
    """Where ``event`` takes an order in ``current``, or ``None`` if it must change nothing."""
    return TRANSITIONS.get((current, event))


def can_be_cancelled_by_buyer(status: OrderStatus) -> bool:
    return status in UNPAID

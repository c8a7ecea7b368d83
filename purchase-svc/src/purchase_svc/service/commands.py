"""What the use cases are asked to do, in their own types: the API turns request bodies into
these, the message handlers their messages, so the service layer never reads ``api.schemas``.

A message's ``cause`` is said by whoever gives the command (an admin, the event cancellation, the
buyer), never inferred later from who the actor was.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class CancellationCause(StrEnum):
    """Why an unpaid order was cancelled (``OrderCancelledV1.cause``)."""

    BUYER = "buyer"
    ADMIN = "admin"
    PAYMENT_UNAVAILABLE = "payment_unavailable"
    EVENT_CANCELLED = "event_cancelled"


class RefundCause(StrEnum):
    """Why tickets were refunded (``OrderRefundedV1.cause``); notification-svc words the buyer's
    email by it (an event cancellation is told once, by the cancellation email)."""

    ADMIN = "admin"
    PROVIDER = "provider"
    LATE_PAYMENT = "late_payment"
    EVENT_CANCELLED = "event_cancelled"


@dataclass(frozen=True)
class ChildDetails:
    nombre: str
    rut: str
    fecha_nacimiento: date


@dataclass(frozen=True)
class Attendee:
    name: str
    child: ChildDetails | None = None


@dataclass(frozen=True)
class OrderItem:
    ticket_type_id: uuid.UUID
    quantity: int
    # One per ticket when given (the request's schema checks the count).
    attendees: tuple[Attendee, ...] | None = None


@dataclass(frozen=True)
class PlaceOrder:
    event_id: uuid.UUID
    buyer_name: str
    # Optional; when given it must be the account's verified address.
    buyer_email: str | None
    items: tuple[OrderItem, ...]


@dataclass(frozen=True)
class RefundOrder:
    order_id: uuid.UUID
    # None: every ticket of the order still valid.
    ticket_ids: tuple[uuid.UUID, ...] | None
    reason: str
    # Who asked, recorded with the reason on the refund row.
    actor: str
    cause: RefundCause

"""Messages published by purchase-svc that the catalogue consumes."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from crowdify.contracts.base import Contract, register
from crowdify.contracts.common import OrderLine


@register
class OrderPlacedV1(Contract):
    name = "purchase.order.placed"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc",)
    summary = "A buyer placed an order; event-svc holds its tickets or rejects it."

    order_id: UUID
    event_id: UUID
    user_id: str
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    placed_at: datetime


@register
class OrderPaidV1(Contract):
    name = "purchase.order.paid"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc",)
    summary = "Mercado Pago approved the order's payment; its hold becomes sold."

    order_id: UUID
    event_id: UUID
    lines: tuple[OrderLine, ...]
    paid_at: datetime


@register
class OrderCancelledV1(Contract):
    name = "purchase.order.cancelled"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc",)
    summary = "An order was cancelled; whatever it held or bought goes back on sale."

    order_id: UUID
    event_id: UUID
    lines: tuple[OrderLine, ...]
    was_paid: bool = False


@register
class OrderExpiredV1(Contract):
    name = "purchase.order.expired"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc",)
    summary = "An unpaid order passed its hold window; its hold is released."

    order_id: UUID
    event_id: UUID
    lines: tuple[OrderLine, ...]


@register
class OrderRefundedV1(Contract):
    name = "purchase.order.refunded"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc", "validation-svc")
    summary = "Tickets of a paid order were refunded (all or some); their seats go back on sale."

    order_id: UUID
    event_id: UUID
    refund_id: str
    lines: tuple[OrderLine, ...] = Field(description="the refunded quantities per ticket type")
    ticket_ids: tuple[UUID, ...] = ()
    full: bool

"""Messages published by purchase-svc about orders (the catalogue and notification-svc consume them).

The buyer's contact details, the event's name and the amounts are optional fields added for
notification-svc, so it can email the buyer without calling purchase-svc back; producers fill
them in, consumers that do not need them ignore them.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crowdify.contracts.base import Contract, register
from crowdify.contracts.common import OrderLine

# Most orders one OrdersPlacedV1 carries; purchase-api never places more at once
# (PURCHASE_SVC_PLACE_BATCH_MAX is bounded by it).
ORDERS_PER_MESSAGE = 500


class PlacedOrder(BaseModel):
    """One order a buyer placed, as one item of :class:`OrdersPlacedV1`; also the whole of the
    per-order ``purchase.order.placed.v1`` that the batch message replaced."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: UUID
    event_id: UUID
    user_id: str
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    placed_at: datetime
    buyer_email: str | None = Field(default=None, description="where the buyer's emails go")
    buyer_name: str | None = None


@register
class OrderPlacedV1(PlacedOrder, Contract):
    name = "purchase.order.placed"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc", "admin-svc")
    summary = (
        "Superseded by purchase.orders.placed.v1 (no longer published; still consumed, for "
        "messages sent before the change). A buyer placed an order; event-svc holds its tickets "
        "or rejects it."
    )


@register
class OrdersPlacedV1(Contract):
    name = "purchase.orders.placed"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc", "admin-svc")
    summary = (
        "Buyers placed orders, committed together by one purchase-api process (one order when it "
        "was placed alone); event-svc holds each order's tickets or rejects it. Each order is "
        "announced once."
    )

    orders: tuple[PlacedOrder, ...] = Field(min_length=1, max_length=ORDERS_PER_MESSAGE)


@register
class OrderPaidV1(Contract):
    name = "purchase.order.paid"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc", "notification-svc", "admin-svc")
    summary = "Mercado Pago approved the order's payment; its hold becomes sold."

    order_id: UUID
    event_id: UUID
    lines: tuple[OrderLine, ...]
    paid_at: datetime
    total: int | None = Field(default=None, ge=0, description="amount paid, minor units of currency")
    currency: str | None = Field(default=None, description="ISO 4217 code of total")
    payment_id: str | None = Field(default=None, description="Mercado Pago's payment id")


@register
class OrderCancelledV1(Contract):
    name = "purchase.order.cancelled"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc", "notification-svc", "admin-svc")
    summary = "An order was cancelled; whatever it held or bought goes back on sale."

    order_id: UUID
    event_id: UUID
    lines: tuple[OrderLine, ...]
    was_paid: bool = False
    buyer_email: str | None = Field(default=None, description="where the buyer's emails go")
    buyer_name: str | None = None
    user_id: str | None = Field(default=None, description="the buyer's user id (JWT `sub`)")
    event_name: str | None = None
    event_starts_at: datetime | None = None
    total: int | None = Field(default=None, ge=0, description="the order's total, minor units of currency")
    currency: str | None = None
    cause: str | None = Field(
        default=None,
        description="who or what cancelled it: buyer, admin, payment_unavailable or event_cancelled",
    )


@register
class OrderExpiredV1(Contract):
    name = "purchase.order.expired"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc", "notification-svc", "admin-svc")
    summary = "An unpaid order passed its hold window; its hold is released."

    order_id: UUID
    event_id: UUID
    lines: tuple[OrderLine, ...]
    buyer_email: str | None = Field(default=None, description="where the buyer's emails go")
    buyer_name: str | None = None
    user_id: str | None = Field(default=None, description="the buyer's user id (JWT `sub`)")
    event_name: str | None = None
    event_starts_at: datetime | None = None
    total: int | None = Field(default=None, ge=0, description="the order's total, minor units of currency")
    currency: str | None = None
    expired_at: datetime | None = None


@register
class OrderRefundedV1(Contract):
    name = "purchase.order.refunded"
    version = 1
    producer = "purchase-svc"
    consumers = ("event-svc", "validation-svc", "notification-svc", "admin-svc")
    summary = "Tickets of a paid order were refunded (all or some); their seats go back on sale."

    order_id: UUID
    event_id: UUID
    refund_id: str
    lines: tuple[OrderLine, ...] = Field(description="the refunded quantities per ticket type")
    ticket_ids: tuple[UUID, ...] = ()
    full: bool
    buyer_email: str | None = Field(default=None, description="where the buyer's emails go")
    buyer_name: str | None = None
    user_id: str | None = Field(default=None, description="the buyer's user id (JWT `sub`)")
    event_name: str | None = None
    event_starts_at: datetime | None = None
    amount: int | None = Field(default=None, ge=0, description="refunded now, minor units of currency")
    currency: str | None = None
    reason: str | None = Field(default=None, description="why, in the buyer's language")
    cause: str | None = Field(
        default=None,
        description=(
            "admin, provider (refunded or charged back at Mercado Pago), late_payment or "
            "event_cancelled (the buyer is told once, by the cancellation email)"
        ),
    )
    chargeback: bool = Field(
        default=False, description="the buyer's card issuer reversed the payment (a chargeback)"
    )

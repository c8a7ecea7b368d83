"""An event was cancelled: every paid order is refunded in full (tickets revoked, seats given
back) and every unpaid one is cancelled (its hold released).

Runs from the consumer of ``catalog.event.cancelled``. Each order is settled in its own
transaction through the same use cases an admin uses, so a redelivered message finds the orders
already settled and changes nothing; an order that fails (Mercado Pago down) makes the message
fail, and its retry settles what is left.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from crowdify.errors import Conflict
from purchase_svc.adapters.tables import orders
from purchase_svc.domain.order import UNPAID, OrderStatus
from purchase_svc.service.commands import RefundCause, RefundOrder
from purchase_svc.service.context import Purchases
from purchase_svc.service.orders import cancel_for_cancelled_event
from purchase_svc.service.refunds import refund_order

log = logging.getLogger(__name__)

# Recorded with the reason of these refunds (who asked for them).
EVENT_CANCELLATION_ACTOR = "system:event-cancellation"
PAID = (OrderStatus.PAID.value, OrderStatus.PARTIALLY_REFUNDED.value)


def event_cancellation_refund(order_id: uuid.UUID) -> RefundOrder:
    """The refund of a paid order of a cancelled event: all of it, announced as the cancellation."""
    return RefundOrder(
        order_id=order_id,
        ticket_ids=None,
        reason="evento cancelado",
        actor=EVENT_CANCELLATION_ACTOR,
        cause=RefundCause.EVENT_CANCELLED,
    )


async def settle_orders_of_cancelled_event(purchases: Purchases, event_id: uuid.UUID) -> int:
    async with purchases.uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(orders.c.id, orders.c.status).where(
                    orders.c.event_id == event_id, orders.c.status.in_([*PAID, *(s.value for s in UNPAID)])
                )
            )
        ).all()
    settled = 0
    for order_id, status in rows:
        try:
            if status in PAID:
                await refund_order(purchases, event_cancellation_refund(order_id))
            else:
                await cancel_for_cancelled_event(purchases, order_id)
        except Conflict:
            continue  # settled meanwhile (a redelivery, a buyer's own cancel)
        settled += 1
    log.info(
        "orders settled after an event cancellation", extra={"event_id": str(event_id), "count": settled}
    )
    return settled

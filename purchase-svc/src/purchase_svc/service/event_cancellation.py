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

from crowdify.auth import Principal
from crowdify.errors import Conflict
from purchase_svc.adapters.tables import orders
from purchase_svc.domain.order import UNPAID, OrderStatus
from purchase_svc.service import orders as order_use_cases
from purchase_svc.service.context import Purchases
from purchase_svc.service.orders import EVENT_CANCELLATION_ACTOR
from purchase_svc.service.payments import PaymentSync
from purchase_svc.service.refunds import refund_order

log = logging.getLogger(__name__)

# The actor of these refunds and cancellations: the messages announcing them carry
# cause "event_cancelled" because of it (purchase_svc.service.orders.EVENT_CANCELLATION_ACTOR).
SYSTEM = Principal(
    user_id=EVENT_CANCELLATION_ACTOR, role="admin", email=None, token_kind="backend", claims={}
)
PAID = (OrderStatus.PAID.value, OrderStatus.PARTIALLY_REFUNDED.value)


async def settle_orders_of_cancelled_event(
    purchases: Purchases, sync: PaymentSync, event_id: uuid.UUID
) -> int:
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
                await refund_order(sync, order_id, None, "evento cancelado", SYSTEM.user_id)
            else:
                await order_use_cases.cancel_unpaid_order(purchases, order_id, SYSTEM)
        except Conflict:
            continue  # settled meanwhile (a redelivery, a buyer's own cancel)
        settled += 1
    log.info(
        "orders settled after an event cancellation", extra={"event_id": str(event_id), "count": settled}
    )
    return settled

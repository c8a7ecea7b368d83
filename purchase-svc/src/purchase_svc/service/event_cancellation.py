"""An event was cancelled: every paid order is refunded in full (tickets revoked, seats given
back) and every unpaid one is cancelled (its hold released).

``catalog.event.cancelled``'s handler only records the event as cancelled (the catalogue
replica) and, once that has committed, wakes the worker's :class:`CancelledEventSettlement`.
The settlement works through the orders of cancelled events that are still paid or unpaid, each
in its own transaction through the same use cases an admin uses, a few orders at a time
(``PURCHASE_SVC_CANCELLATION_SETTLING_AT_ONCE``).

Why not settle inside the handler, as the message's own work: the handler runs in the
consumer's transaction, which holds a pooled connection (and its inbox row) for as long as it
runs, while each order settled needs a second connection. A few cancellations delivered at once
took every connection of the pool as outer transactions and then waited for the inner ones
until the pool's timeout: the messages failed, were retried and parked. An event of thousands
of orders also held its message for minutes. Here the message commits in one short transaction,
and the settlement needs a fixed few connections whatever is cancelled.

The work list is the database itself (orders still paid or unpaid of an event the replica says
is cancelled), so nothing is lost when a worker stops halfway: the next pass, of this worker or
another, goes on where it stopped. Several workers may settle at once; an order settled
meanwhile answers ``Conflict`` and is skipped. An order that cannot be settled now (Mercado Pago
down or refusing the refund) stays on the list and is tried again on the next pass.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from crowdify.errors import Conflict
from crowdify.tasks import pause, survive
from purchase_svc.adapters.tables import catalog_events, orders
from purchase_svc.domain.order import UNPAID, OrderStatus
from purchase_svc.service.commands import RefundCause, RefundOrder
from purchase_svc.service.context import Purchases
from purchase_svc.service.orders import cancel_for_cancelled_event
from purchase_svc.service.refunds import refund_order

log = logging.getLogger(__name__)

# Recorded with the reason of these refunds (who asked for them).
EVENT_CANCELLATION_ACTOR = "system:event-cancellation"
CANCELLED_EVENT = "cancelled"
PAID = (OrderStatus.PAID.value, OrderStatus.PARTIALLY_REFUNDED.value)
TO_SETTLE = (*PAID, *(s.value for s in UNPAID))
# Orders read per query of the work list (one short transaction each).
PAGE = 500


def event_cancellation_refund(order_id: uuid.UUID) -> RefundOrder:
    """The refund of a paid order of a cancelled event: all of it, announced as the cancellation."""
    return RefundOrder(
        order_id=order_id,
        ticket_ids=None,
        reason="evento cancelado",
        actor=EVENT_CANCELLATION_ACTOR,
        cause=RefundCause.EVENT_CANCELLED,
    )


async def _orders_to_settle(purchases: Purchases, after: uuid.UUID | None) -> list[tuple[uuid.UUID, str]]:
    """The next page of the work list, in id order after ``after``."""
    query = (
        select(orders.c.id, orders.c.status)
        .join(catalog_events, catalog_events.c.id == orders.c.event_id)
        .where(catalog_events.c.status == CANCELLED_EVENT, orders.c.status.in_(TO_SETTLE))
        .order_by(orders.c.id)
        .limit(PAGE)
    )
    if after is not None:
        query = query.where(orders.c.id > after)
    async with purchases.uow_factory() as uow:
        return [(row.id, row.status) for row in (await uow.session.execute(query)).all()]


async def _settle(purchases: Purchases, order_id: uuid.UUID, status: str) -> bool:
    """Refund or cancel one order; False when it was settled meanwhile."""
    try:
        if status in PAID:
            await refund_order(purchases, event_cancellation_refund(order_id))
        else:
            await cancel_for_cancelled_event(purchases, order_id)
    except Conflict as conflict:
        # A buyer's own cancel, a payment applied meanwhile, another worker; or a refund of the
        # order still in flight, which the next pass finds again (the runbook's stuck refunds).
        log.info(
            "order of a cancelled event skipped", extra={"order_id": str(order_id), "why": str(conflict)}
        )
        return False
    return True


async def settle_cancelled_events(purchases: Purchases, *, at_once: int = 1) -> None:
    """One pass over the work list: every order of a cancelled event still paid or unpaid,
    ``at_once`` of them at a time (each its own transaction and connection)."""
    outcomes: Counter[str] = Counter()
    gate = asyncio.Semaphore(at_once)

    async def one(order_id: uuid.UUID, status: str) -> None:
        async with gate:
            try:
                outcomes["settled" if await _settle(purchases, order_id, status) else "skipped"] += 1
            except Exception as error:  # left on the list for the next pass
                outcomes["failed"] += 1
                log.warning(
                    "order of a cancelled event not settled; next pass tries again",
                    extra={"order_id": str(order_id), "error": type(error).__name__},
                )

    after: uuid.UUID | None = None
    while page := await _orders_to_settle(purchases, after):
        await asyncio.gather(*(one(order_id, status) for order_id, status in page))
        after = page[-1][0]
    if outcomes["settled"] or outcomes["failed"]:
        log.info(
            "orders of cancelled events settled",
            extra={"count": outcomes["settled"], "failed": outcomes["failed"]},
        )


class CancelledEventSettlement:
    """The worker's loop: a pass when an event's cancellation has just been recorded
    (:meth:`wake`), and one every ``every`` to retry what failed or what another worker left."""

    def __init__(self, purchases: Purchases, *, every: timedelta) -> None:
        self.purchases = purchases
        self.every = every
        self.at_once = purchases.settings.cancellation_settling_at_once
        self._woken = asyncio.Event()

    async def wake(self) -> None:
        """An after-commit hook: the cancellation is in the replica, settle its orders now."""
        self._woken.set()

    async def run_forever(self) -> None:
        while True:
            # Cleared before the pass: a cancellation recorded during it gets a pass of its own.
            self._woken.clear()
            await survive(
                settle_cancelled_events(self.purchases, at_once=self.at_once),
                log,
                "settling cancelled events failed; trying again later",
            )
            await pause(self.every.total_seconds(), self._woken)

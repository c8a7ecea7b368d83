"""A safety net for notifications Mercado Pago never delivered: the payments of orders still
awaiting payment long after they were placed are looked up by their ``external_reference`` and
applied like notified ones."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from crowdify.tasks import pause, survive
from purchase_svc.adapters.mercadopago_answers import oldest_first
from purchase_svc.adapters.tables import orders
from purchase_svc.domain.order import OrderStatus
from purchase_svc.service.context import Purchases
from purchase_svc.service.payment_application import apply_payment

log = logging.getLogger(__name__)


async def _stuck_orders(purchases: Purchases, older_than: timedelta, limit: int) -> Sequence[uuid.UUID]:
    cutoff = datetime.now(UTC) - older_than
    query = (
        select(orders.c.id)
        .where(orders.c.status == OrderStatus.AWAITING_PAYMENT.value, orders.c.updated_at < cutoff)
        .order_by(orders.c.updated_at)
        .limit(limit)
    )
    async with purchases.uow_factory() as uow:
        return (await uow.session.execute(query)).scalars().all()


async def reconcile_stuck_orders(
    purchases: Purchases, *, older_than: timedelta = timedelta(minutes=10), limit: int = 100
) -> int:
    """Look up, by ``external_reference``, the payments of orders still awaiting payment after
    ``older_than`` (a notification may have been lost) and apply them; returns how many
    payments were applied. Run it periodically from the worker."""
    applied = 0
    for order_id in await _stuck_orders(purchases, older_than, limit):
        try:
            found = await purchases.mercadopago.search_payments(str(order_id))
        except Exception:
            log.warning("reconciliation: payments of order %s could not be searched", order_id, exc_info=True)
            continue
        for payment in oldest_first(found):  # the latest state is applied last
            async with purchases.uow_factory() as uow:
                await apply_payment(purchases, uow, payment)
            applied += 1
    return applied


async def reconcile_forever(
    purchases: Purchases,
    *,
    every: timedelta = timedelta(minutes=5),
    older_than: timedelta = timedelta(minutes=10),
) -> None:
    """The worker's reconciliation task: :func:`reconcile_stuck_orders` every ``every``."""
    while True:
        applied = await survive(
            reconcile_stuck_orders(purchases, older_than=older_than),
            log,
            "reconciliation failed; trying again later",
        )
        if applied:
            log.info("reconciliation applied %d payments", applied)
        await pause(every.total_seconds())

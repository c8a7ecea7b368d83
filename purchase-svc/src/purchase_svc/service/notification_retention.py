"""Refused Mercado Pago notifications are kept only as long as they help an investigation.

The webhook stores every notification with its verdict; a refused one (bad signature, malformed,
unknown shape: marked ``_refused`` in its stored query) is stored without its body and deleted
once older than ``PURCHASE_SVC_REFUSED_NOTIFICATION_RETENTION_DAYS``. Accepted notifications stay:
they explain why an order changed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, func

from crowdify.db import UnitOfWorkFactory
from crowdify.tasks import pause, survive
from purchase_svc.adapters.tables import payment_notifications

log = logging.getLogger(__name__)


async def purge_refused_notifications(uow_factory: UnitOfWorkFactory, older_than: timedelta) -> int:
    """Delete refused notifications received more than ``older_than`` ago; returns how many."""
    async with uow_factory() as uow:
        result = await uow.session.execute(
            delete(payment_notifications)
            .where(
                payment_notifications.c.query.has_key("_refused"),
                payment_notifications.c.received_at < func.now() - older_than,
            )
            .returning(payment_notifications.c.id)
        )
        return len(result.all())


async def purge_refused_notifications_forever(
    uow_factory: UnitOfWorkFactory, *, every: timedelta, older_than: timedelta
) -> None:
    while True:
        purged = await survive(
            purge_refused_notifications(uow_factory, older_than), log, "purging refused notifications failed"
        )
        if purged:
            log.info("deleted %s refused Mercado Pago notifications past retention", purged)
        await pause(every.total_seconds())

"""purchase-svc worker: the saga's order side (answers from event-svc), payment sync and
reconciliation, the settlement of cancelled events' orders, the resumption of interrupted
refunds, the outbox relay. Run it with ``python -m purchase_svc.worker``; several may run at
once."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import uvloop

from crowdify.runtime import ServiceWorker, run_worker
from purchase_svc.adapters.tables import messaging
from purchase_svc.composition import build_purchases
from purchase_svc.consumers.catalog import register_catalog_handlers
from purchase_svc.consumers.payments import register_payment_handlers
from purchase_svc.service.event_cancellation import CancelledEventSettlement
from purchase_svc.service.notification_retention import purge_refused_notifications_forever
from purchase_svc.service.reconciliation import reconcile_forever
from purchase_svc.service.refunds import resume_stuck_refunds_forever
from purchase_svc.settings import PurchaseSettings, get_settings

log = logging.getLogger(__name__)


class Worker(ServiceWorker):
    def __init__(self, settings: PurchaseSettings) -> None:
        super().__init__(
            settings, messaging, queue=settings.catalog_queue, prefetch=settings.consumer_prefetch
        )
        self.purchases = build_purchases(
            settings, uow_factory=self.uow_factory, outbox=self.outbox, redis=self.resources.redis
        )
        self.cancelled_events = CancelledEventSettlement(self.purchases, every=timedelta(minutes=2))
        register_catalog_handlers(self.consumer, self.purchases, self.cancelled_events)
        register_payment_handlers(self.consumer, self.purchases)
        self.refused_notification_retention = timedelta(days=settings.refused_notification_retention_days)

    def background_tasks(self) -> dict[str, Coroutine[Any, Any, None]]:
        # A safety net for notifications Mercado Pago never delivered: orders still waiting are
        # looked up by their external_reference.
        reconcile = reconcile_forever(
            self.purchases, every=timedelta(minutes=5), older_than=timedelta(minutes=10)
        )
        retention = purge_refused_notifications_forever(
            self.uow_factory,
            every=timedelta(hours=1),
            older_than=self.refused_notification_retention,
        )
        return {
            "payment-reconciliation": reconcile,
            "refused-notification-retention": retention,
            "cancelled-event-settlement": self.cancelled_events.run_forever(),
            # Refunds a dead process left between asking Mercado Pago and recording its answer;
            # older than any live call can take (three attempts of MERCADOPAGO_TIMEOUT_SECONDS).
            "refund-resumption": resume_stuck_refunds_forever(
                self.purchases, every=timedelta(minutes=5), older_than=timedelta(minutes=10)
            ),
        }


async def main() -> None:
    settings = get_settings()
    await run_worker(lambda: Worker(settings), settings)


if __name__ == "__main__":
    uvloop.run(main())

"""purchase-svc worker: the saga's order side (answers from event-svc), payment sync and
reconciliation, the outbox relay. Run it with ``python -m purchase_svc.worker``; several may run at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from crowdify.messaging.consumer import Consumer
from crowdify.messaging.outbox import OutboxRelay
from crowdify.runtime import ServiceResources, run_worker
from purchase_svc.adapters.tables import messaging
from purchase_svc.consumers.catalog import register_catalog_handlers
from purchase_svc.consumers.payments import register_payment_handlers
from purchase_svc.main import mercadopago_client
from purchase_svc.service.context import Purchases
from purchase_svc.service.payments import PaymentSync
from purchase_svc.settings import PurchaseSettings, get_settings

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: PurchaseSettings) -> None:
        self.settings = settings
        self.resources = ServiceResources.create(settings, messaging)
        self.uow_factory = self.resources.uow_factory
        self.outbox = self.resources.outbox
        mercadopago = mercadopago_client(settings)
        self.purchases = Purchases(settings, self.uow_factory, self.outbox, self.resources.redis, mercadopago)
        self.payment_sync = PaymentSync.from_settings(
            settings, uow_factory=self.uow_factory, outbox=self.outbox, mercadopago=mercadopago
        )
        self.relay = OutboxRelay(self.uow_factory, messaging, self.resources.publisher)
        self.consumer = Consumer(
            queue=settings.catalog_queue,
            uow_factory=self.uow_factory,
            tables=messaging,
            amqp_url=settings.amqp_url,
            exchange_name=settings.amqp_exchange,
            prefetch=settings.consumer_prefetch,
            queue_type=settings.amqp_queue_type,
        )
        register_catalog_handlers(self.consumer, self.purchases, self.payment_sync)
        register_payment_handlers(self.consumer, self.payment_sync)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.resources.open()
        await self.consumer.start()
        self._tasks = [
            asyncio.create_task(self.relay.run_forever(), name="outbox-relay"),
            # A safety net for notifications Mercado Pago never delivered: orders still waiting
            # are looked up by their external_reference.
            asyncio.create_task(
                self.payment_sync.reconcile_forever(
                    every=timedelta(minutes=5), older_than=timedelta(minutes=10)
                ),
                name="payment-reconciliation",
            ),
        ]

    async def stop(self) -> None:
        await self.consumer.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.resources.close()


async def main() -> None:
    settings = get_settings()
    await run_worker(
        lambda: Worker(settings),
        name=f"{settings.service_name}-worker",
        log_level=settings.log_level,
        metrics_host=settings.worker_metrics_host,
        metrics_port=settings.worker_metrics_port,
    )


if __name__ == "__main__":
    asyncio.run(main())

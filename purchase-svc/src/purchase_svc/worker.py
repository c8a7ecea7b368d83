"""purchase-svc worker: the saga's order side (answers from event-svc), the outbox relay.
Run it with ``python -m purchase_svc.worker``; several may run at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta

from prometheus_client import start_http_server
from redis.asyncio import Redis

from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.outbox import Outbox, OutboxRelay
from crowdify.messaging.publisher import Publisher
from crowdify.observability import configure_logging
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
        self.engine = create_engine(
            settings.database_url, settings.db_schema, pool_size=settings.db_pool_size
        )
        self.uow_factory = UnitOfWorkFactory(self.engine)
        self.publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
        self.redis = Redis.from_url(settings.redis_url)
        self.outbox = Outbox(messaging, self.publisher)
        self.outbox.attach(self.uow_factory)
        mercadopago = mercadopago_client(settings)
        self.purchases = Purchases(settings, self.uow_factory, self.outbox, self.redis, mercadopago)
        self.payment_sync = PaymentSync.from_settings(
            settings, uow_factory=self.uow_factory, outbox=self.outbox, mercadopago=mercadopago
        )
        self.relay = OutboxRelay(self.uow_factory, messaging, self.publisher)
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
        await self.publisher.connect()
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
        await self.publisher.close()
        await self.redis.aclose()
        await self.engine.dispose()


async def main() -> None:
    settings = get_settings()
    configure_logging(f"{settings.service_name}-worker", settings.log_level)
    if settings.worker_metrics_port:
        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    worker = Worker(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await worker.start()
    log.info("worker started", extra={"queue": settings.catalog_queue})
    await stop.wait()
    await worker.stop()


if __name__ == "__main__":
    asyncio.run(main())

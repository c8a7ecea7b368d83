"""event-svc worker: decides reservations from order messages, re-sends what the outbox left
behind and expires unpaid holds. Run it with ``python -m event_svc.worker``; run as many as the
load needs (the consumer, relay and sweeper are all safe to run in parallel)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from prometheus_client import start_http_server

from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.outbox import Outbox, OutboxRelay
from crowdify.messaging.publisher import Publisher
from crowdify.observability import configure_logging
from event_svc.adapters.tables import messaging
from event_svc.consumers.orders import register_order_handlers
from event_svc.service.expiry import sweep_expired_holds
from event_svc.settings import EventSettings, get_settings

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: EventSettings) -> None:
        self.settings = settings
        self.engine = create_engine(
            settings.database_url, settings.db_schema, pool_size=settings.db_pool_size
        )
        self.uow_factory = UnitOfWorkFactory(self.engine)
        self.publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
        self.outbox = Outbox(messaging, self.publisher)
        self.outbox.attach(self.uow_factory)
        self.relay = OutboxRelay(self.uow_factory, messaging, self.publisher)
        self.consumer = Consumer(
            queue=settings.reservations_queue,
            uow_factory=self.uow_factory,
            tables=messaging,
            amqp_url=settings.amqp_url,
            exchange_name=settings.amqp_exchange,
            queue_type=settings.amqp_queue_type,
            prefetch=settings.consumer_prefetch,
        )
        register_order_handlers(self.consumer, self.outbox)
        self._tasks: list[asyncio.Task[None]] = []

    async def sweep_holds_forever(self) -> None:
        while True:
            try:
                async with self.uow_factory() as uow:
                    expired = await sweep_expired_holds(uow, self.outbox)
                if expired:
                    log.info("expired holds", extra={"count": expired})
                    continue  # there may be more due right now
            except Exception:
                log.exception("hold sweep failed; retrying")
            await asyncio.sleep(self.settings.hold_sweep_seconds)

    async def start(self) -> None:
        await self.publisher.connect()
        await self.consumer.start()
        self._tasks = [
            asyncio.create_task(self.relay.run_forever(), name="outbox-relay"),
            asyncio.create_task(self.sweep_holds_forever(), name="hold-sweeper"),
        ]

    async def stop(self) -> None:
        await self.consumer.stop()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.publisher.close()
        await self.engine.dispose()


async def main() -> None:
    settings = get_settings()
    configure_logging(f"{settings.service_name}-worker", settings.log_level)
    if settings.worker_metrics_port:
        # The worker has no HTTP API; Prometheus scrapes outbox lag and parked messages here.
        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    worker = Worker(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await worker.start()
    log.info("worker started", extra={"queue": settings.reservations_queue})
    await stop.wait()
    await worker.stop()


if __name__ == "__main__":
    asyncio.run(main())

"""event-svc worker: decides reservations from order messages, re-sends what the outbox left
behind and expires unpaid holds. Run it with ``python -m event_svc.worker``; run as many as the
load needs (the consumer, relay and sweeper are all safe to run in parallel)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from crowdify.messaging.consumer import Consumer
from crowdify.messaging.outbox import OutboxRelay
from crowdify.runtime import ServiceResources, run_worker
from event_svc.adapters.tables import messaging
from event_svc.consumers.orders import register_order_handlers
from event_svc.service.expiry import sweep_expired_holds
from event_svc.settings import EventSettings, get_settings

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, settings: EventSettings) -> None:
        self.settings = settings
        self.resources = ServiceResources.create(settings, messaging)
        self.uow_factory = self.resources.uow_factory
        self.outbox = self.resources.outbox
        self.relay = OutboxRelay(self.uow_factory, messaging, self.resources.publisher)
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
        await self.resources.open()
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

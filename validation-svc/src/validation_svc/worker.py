"""validation-svc worker: keeps the ticket registry from purchase-svc's and event-svc's messages.
Run it with ``python -m validation_svc.worker``; several may run at once."""

from __future__ import annotations

import asyncio

from crowdify.messaging.consumer import Consumer
from crowdify.runtime import ServiceResources, run_worker
from validation_svc.adapters.tables import messaging
from validation_svc.consumers.registry import register_registry_handlers
from validation_svc.settings import ValidationSettings, get_settings


class Worker:
    def __init__(self, settings: ValidationSettings) -> None:
        self.settings = settings
        self.resources = ServiceResources.create(settings, messaging)
        self.consumer = Consumer(
            queue=settings.events_queue,
            uow_factory=self.resources.uow_factory,
            tables=messaging,
            amqp_url=settings.amqp_url,
            exchange_name=settings.amqp_exchange,
            prefetch=settings.consumer_prefetch,
            queue_type=settings.amqp_queue_type,
        )
        register_registry_handlers(self.consumer, settings.ticket_keyring())

    async def start(self) -> None:
        await self.resources.open()
        await self.consumer.start()

    async def stop(self) -> None:
        await self.consumer.stop()
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

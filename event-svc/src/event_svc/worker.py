"""event-svc worker: decides reservations from order messages, re-sends what the outbox left
behind and expires unpaid holds. Run it with ``python -m event_svc.worker``; run as many as the
load needs (the consumer, relay and sweeper are all safe to run in parallel)."""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from typing import Any

import uvloop

from crowdify.runtime import ServiceWorker, run_worker
from crowdify.tasks import pause, survive
from event_svc.adapters.tables import messaging
from event_svc.consumers.orders import register_order_handlers
from event_svc.service.expiry import sweep_expired_holds
from event_svc.settings import EventSettings, get_settings

log = logging.getLogger(__name__)


class Worker(ServiceWorker):
    def __init__(self, settings: EventSettings) -> None:
        super().__init__(
            settings, messaging, queue=settings.reservations_queue, prefetch=settings.consumer_prefetch
        )
        self.settings: EventSettings = settings
        register_order_handlers(self.consumer, self.outbox, max_batch=settings.hold_batch_size)

    def background_tasks(self) -> dict[str, Coroutine[Any, Any, None]]:
        return {"hold-sweeper": self.sweep_holds_forever()}

    async def sweep_holds_forever(self) -> None:
        while True:
            expired = await survive(self.sweep_once(), log, "hold sweep failed; retrying")
            if expired:
                log.info("expired holds", extra={"count": expired})
                continue  # there may be more due right now
            await pause(self.settings.hold_sweep_seconds)

    async def sweep_once(self) -> int:
        async with self.uow_factory() as uow:
            return await sweep_expired_holds(uow, self.outbox)


async def main() -> None:
    settings = get_settings()
    await run_worker(lambda: Worker(settings), settings)


if __name__ == "__main__":
    uvloop.run(main())

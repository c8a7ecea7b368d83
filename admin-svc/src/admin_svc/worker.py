"""admin-svc worker: keeps the reporting read model up to date from every service's messages.
Run it with ``python -m admin_svc.worker``; several may run at once (each message is handled once,
through the inbox, and every projection is safe in any order)."""

from __future__ import annotations

import uvloop

from admin_svc.adapters.tables import messaging
from admin_svc.consumers.reporting import register_reporting_handlers
from admin_svc.settings import AdminSettings, get_settings
from crowdify.runtime import ServiceWorker, run_worker


class Worker(ServiceWorker):
    def __init__(self, settings: AdminSettings) -> None:
        super().__init__(
            settings, messaging, queue=settings.events_queue, prefetch=settings.consumer_prefetch
        )
        register_reporting_handlers(self.consumer, linger=settings.projection_linger_seconds)


async def main() -> None:
    settings = get_settings()
    await run_worker(lambda: Worker(settings), settings)


if __name__ == "__main__":
    uvloop.run(main())

"""validation-svc worker: keeps the ticket registry from purchase-svc's and event-svc's messages.
Run it with ``python -m validation_svc.worker``; several may run at once."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import uvloop

from crowdify.runtime import ServiceWorker, run_worker
from validation_svc.adapters.tables import messaging
from validation_svc.consumers.registry import register_registry_handlers
from validation_svc.service.admissions import AdmissionAnnouncer
from validation_svc.settings import ValidationSettings, get_settings


class Worker(ServiceWorker):
    def __init__(self, settings: ValidationSettings) -> None:
        super().__init__(
            settings, messaging, queue=settings.events_queue, prefetch=settings.consumer_prefetch
        )
        register_registry_handlers(self.consumer, settings.ticket_keyring(), settings.code_digest_key_bytes)
        self.admissions = AdmissionAnnouncer(
            self.uow_factory,
            self.outbox,
            poll_seconds=settings.admissions_poll_seconds,
            batch=settings.admissions_batch,
        )

    def background_tasks(self) -> dict[str, Coroutine[Any, Any, None]]:
        return {"admission-announcer": self.admissions.run_forever()}


async def main() -> None:
    settings = get_settings()
    await run_worker(lambda: Worker(settings), settings)


if __name__ == "__main__":
    uvloop.run(main())

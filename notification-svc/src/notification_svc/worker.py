"""notification-svc worker: queues emails from messages and sends them.
Run it with ``python -m notification_svc.worker``; several may run at once (the sender claims
emails with SKIP LOCKED, so no email is sent by two workers)."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import uvloop

from crowdify.runtime import ServiceWorker, run_worker
from crowdify.storage import ObjectStorageSettings
from notification_svc.adapters.documents import DocumentStore
from notification_svc.adapters.providers import GuardedProvider, build_provider
from notification_svc.adapters.tables import messaging
from notification_svc.consumers.purchases import register_email_handlers
from notification_svc.service.composing import Composer
from notification_svc.service.intake import Intake
from notification_svc.service.sender import Sender, SenderPolicy
from notification_svc.settings import NotificationSettings, get_settings


class Worker(ServiceWorker):
    def __init__(
        self,
        settings: NotificationSettings,
        *,
        provider: GuardedProvider | None = None,
        storage: ObjectStorageSettings | None = None,
    ) -> None:
        super().__init__(
            settings, messaging, queue=settings.events_queue, prefetch=settings.consumer_prefetch
        )
        self.sender = Sender(
            self.uow_factory,
            provider or build_provider(settings),
            Composer(
                self.uow_factory, DocumentStore((storage or ObjectStorageSettings()).client()), settings
            ),
            SenderPolicy.from_settings(settings),
        )
        intake = Intake(pdf_wait=timedelta(seconds=settings.pdf_wait_seconds), wake=self.sender.wake)
        register_email_handlers(self.consumer, intake)

    def background_tasks(self) -> dict[str, Coroutine[Any, Any, None]]:
        return {"email-sender": self.sender.run_forever()}


async def main() -> None:
    settings = get_settings()
    await run_worker(lambda: Worker(settings), settings)


if __name__ == "__main__":
    uvloop.run(main())

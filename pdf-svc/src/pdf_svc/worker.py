"""pdf-svc worker: renders ticket documents from purchase-svc's and event-svc's messages.
Run it with ``python -m pdf_svc.worker``; several may run at once."""

from __future__ import annotations

import uvloop

from crowdify.runtime import ServiceWorker, run_worker
from pdf_svc.adapters.storage import document_store
from pdf_svc.adapters.tables import messaging
from pdf_svc.consumers.documents import register_document_handlers
from pdf_svc.service.rendering import Renderer
from pdf_svc.settings import PdfSettings, get_settings


class Worker(ServiceWorker):
    def __init__(self, settings: PdfSettings) -> None:
        super().__init__(
            settings, messaging, queue=settings.events_queue, prefetch=settings.consumer_prefetch
        )
        self.store = document_store(settings)
        self.renderer = Renderer(self.store, self.outbox)
        register_document_handlers(self.consumer, self.renderer)


async def main() -> None:
    settings = get_settings()
    await run_worker(lambda: Worker(settings), settings)


if __name__ == "__main__":
    uvloop.run(main())

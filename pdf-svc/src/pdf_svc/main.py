"""pdf-svc HTTP API: ``create_app()`` builds the shared service app with the document routes."""

from __future__ import annotations

from fastapi import FastAPI

from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app
from pdf_svc.adapters.storage import document_store
from pdf_svc.adapters.tables import messaging
from pdf_svc.api import documents
from pdf_svc.settings import PdfSettings, get_settings

DESCRIPTION = """Ticket documents: a PDF page per ticket with its signed QR code, rendered when
tickets are issued, kept in S3-compatible storage and streamed to their owner (or an admin)."""


def create_app(settings: PdfSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)
    store = document_store(settings)

    def on_startup(app: FastAPI) -> None:
        app.state.documents = documents.Documents(uow_factory=resources.uow_factory, store=store)

    return create_service_app(
        settings=settings,
        resources=resources,
        title="Crowdify pdf-svc",
        description=DESCRIPTION,
        routers=[documents.router],
        on_startup=on_startup,
    )

"""event-svc HTTP API: ``create_app()`` builds the shared service app with the catalogue routes."""

from __future__ import annotations

from fastapi import FastAPI

from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app
from event_svc.adapters.tables import messaging
from event_svc.api import events, staff, ticket_types
from event_svc.service.catalog import Catalog
from event_svc.settings import EventSettings, get_settings

DESCRIPTION = """Events, ticket types, capacity and holds. Reservations are decided from
`purchase.orders.placed` messages, never by HTTP; see the service README for the messages."""


def create_app(settings: EventSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)

    def on_startup(app: FastAPI) -> None:
        app.state.catalog = Catalog(resources.uow_factory, resources.outbox)

    return create_service_app(
        settings=settings,
        resources=resources,
        title="Crowdify event-svc",
        description=DESCRIPTION,
        routers=[events.router, ticket_types.router, staff.router],
        on_startup=on_startup,
        idempotent_prefixes=["/api/v1/events"],
    )

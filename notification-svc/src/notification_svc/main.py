"""notification-svc HTTP API: ``create_app()`` builds the shared service app with the
notification routes. Emails are queued by the worker's consumers and sent by its sender loop."""

from __future__ import annotations

from fastapi import FastAPI

from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app
from notification_svc.adapters.tables import messaging
from notification_svc.api import notifications
from notification_svc.settings import NotificationSettings, get_settings

DESCRIPTION = """Transactional email: the tickets (PDF attached), an expired reservation, a refund,
a cancelled event. Exactly one email per order and kind, however often the messages behind it
are delivered; the tickets email can be asked for again."""


def create_app(settings: NotificationSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)

    def on_startup(app: FastAPI) -> None:
        app.state.notifications = notifications.Notifications(
            uow_factory=resources.uow_factory, resends_per_day=settings.resends_per_order_per_day
        )

    return create_service_app(
        settings=settings,
        resources=resources,
        title="Crowdify notification-svc",
        description=DESCRIPTION,
        routers=[notifications.router],
        on_startup=on_startup,
        idempotent_prefixes=["/api/v1/notifications/resend"],
    )

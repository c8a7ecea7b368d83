"""validation-svc HTTP API: ``create_app()`` builds the shared service app with the door routes."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app
from validation_svc.adapters.tables import messaging
from validation_svc.api import validation
from validation_svc.service.scanning import Scanner, Synchronizer
from validation_svc.settings import ValidationSettings, get_settings

DESCRIPTION = """Door validation: signed QR codes are checked offline-capable (Ed25519), then one
short transaction decides each scan. The ticket registry is fed only by messages from
purchase-svc and event-svc."""


def create_app(settings: ValidationSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)
    keyring = settings.ticket_keyring()

    def on_startup(app: FastAPI) -> None:
        app.state.validation = validation.Validation(
            uow_factory=resources.uow_factory,
            keyring=keyring,
            scanner=Scanner(resources.uow_factory, keyring),
            synchronizer=Synchronizer(resources.uow_factory, keyring),
            jwt_secret=settings.jwt_secret.get_secret_value(),
            device_token_ttl_seconds=settings.device_token_ttl_seconds,
        )

    app = create_service_app(
        settings=settings,
        resources=resources,
        title="Crowdify validation-svc",
        description=DESCRIPTION,
        routers=[validation.router],
        on_startup=on_startup,
    )
    # Manifests of large events are big and compress well.
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    return app

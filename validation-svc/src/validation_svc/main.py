"""validation-svc HTTP API: ``create_app()`` builds the shared service app with the door routes."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app
from validation_svc.adapters.door_statements import DoorStatements
from validation_svc.adapters.tables import messaging
from validation_svc.api import door, validation
from validation_svc.service.scanning import Scanner, Synchronizer
from validation_svc.settings import ValidationSettings, get_settings

DESCRIPTION = """Door validation: signed QR codes are checked offline-capable (Ed25519), then one
statement decides each scan. The ticket registry is fed only by messages from purchase-svc and
event-svc."""


class ManifestGZip:
    """Compresses manifests (large, and they compress well) and nothing else: a scan's answer
    is a few hundred bytes, cheaper to send than to compress."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=2048)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/manifest"):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def create_app(settings: ValidationSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)
    keyring = settings.ticket_keyring()
    digest_key = settings.code_digest_key_bytes
    opened: list[DoorStatements] = []

    async def on_startup(app: FastAPI) -> None:
        statements = await DoorStatements.open(
            settings.database_url, settings.db_schema, settings.door_pool_size, settings.door_batch_max
        )
        opened.append(statements)
        app.state.door = door.Door(
            scanner=Scanner(statements, keyring, digest_key),
            synchronizer=Synchronizer(statements, keyring, digest_key),
        )
        app.state.validation = validation.Validation(
            uow_factory=resources.uow_factory,
            keyring=keyring,
            jwt_secret=settings.jwt_secret.get_secret_value(),
            device_token_ttl_seconds=settings.device_token_ttl_seconds,
            scanner_url=settings.scanner_url,
        )

    async def on_shutdown() -> None:
        while opened:
            await opened.pop().close()

    app = create_service_app(
        settings=settings,
        resources=resources,
        title="Crowdify validation-svc",
        description=DESCRIPTION,
        routers=[door.router, validation.router],
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        access_log_sample=settings.access_log_sample,
        # Enrolling a door device accepts Idempotency-Key: a retried enrolment never makes two devices.
        idempotent_prefixes=["/api/v1/validation/devices"],
        # A scan goes from the request context straight to its endpoint (crowdify.route_lane).
        lanes=[("POST", door.SCAN_PATH)],
    )
    app.add_middleware(ManifestGZip)
    return app

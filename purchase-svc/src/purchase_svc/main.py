"""purchase-svc HTTP API: ``create_app()`` builds the shared service app with the purchase,
payment, ticket and refund routes."""

from __future__ import annotations

from fastapi import FastAPI

from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app
from purchase_svc.adapters.order_updates import OrderUpdates
from purchase_svc.adapters.tables import messaging
from purchase_svc.api import keys, purchases, refunds, tickets, webhook
from purchase_svc.api.dependencies import install_purchases
from purchase_svc.api.order_request import document_order_request
from purchase_svc.composition import build_purchases
from purchase_svc.settings import PurchaseSettings, get_settings

DESCRIPTION = """Orders, Mercado Pago payments, tickets with signed QR payloads, refunds. Tickets
are held by event-svc over RabbitMQ; `POST /api/v1/purchases` waits for that answer."""


def create_app(settings: PurchaseSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)
    updates = OrderUpdates(resources.redis)

    def on_startup(app: FastAPI) -> None:
        install_purchases(
            app,
            build_purchases(
                settings,
                uow_factory=resources.uow_factory,
                outbox=resources.outbox,
                redis=resources.redis,
                updates=updates,
            ),
        )

    app = create_service_app(
        settings=settings,
        resources=resources,
        title="Crowdify purchase-svc",
        description=DESCRIPTION,
        # Fixed paths first: "webhook" is not an order id, "keys" is not a ticket id.
        routers=[webhook.router, refunds.router, purchases.router, keys.router, tickets.router],
        on_startup=on_startup,
        on_shutdown=updates.aclose,
        # Placing an order accepts Idempotency-Key: a retried POST never buys twice.
        idempotent_prefixes=["/api/v1/purchases"],
        access_log_sample=settings.access_log_sample,
        # An order goes from the request context straight to its endpoint (crowdify.route_lane).
        lanes=[("POST", purchases.ORDERS_PATH)],
    )
    document_order_request(app)
    return app

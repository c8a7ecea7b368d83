"""purchase-svc HTTP API: ``create_app()`` builds the shared service app with the purchase,
payment, ticket and refund routes."""

from __future__ import annotations

from fastapi import FastAPI

from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources, create_service_app
from purchase_svc.adapters.mercadopago import MercadoPagoClient
from purchase_svc.adapters.order_updates import OrderUpdates
from purchase_svc.adapters.tables import messaging
from purchase_svc.api import keys, purchases, refunds, tickets, webhook
from purchase_svc.service.context import Purchases
from purchase_svc.service.payments import PaymentSync
from purchase_svc.settings import PurchaseSettings, get_settings

DESCRIPTION = """Orders, Mercado Pago payments, tickets with signed QR payloads, refunds. Tickets
are held by event-svc over RabbitMQ; `POST /api/v1/purchases` waits for that answer."""


def mercadopago_client(settings: PurchaseSettings) -> MercadoPagoClient:
    return MercadoPagoClient(
        access_token=settings.mercadopago_access_token.get_secret_value(),
        base_url=settings.mercadopago_api_base_url,
        timeout_seconds=settings.mercadopago_timeout_seconds,
        breaker_threshold=settings.mercadopago_breaker_threshold,
        breaker_ttl_seconds=settings.mercadopago_breaker_ttl_seconds,
    )


def create_app(settings: PurchaseSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.service_name, settings.log_level)
    resources = ServiceResources.create(settings, messaging)
    mercadopago = mercadopago_client(settings)

    updates = OrderUpdates(resources.redis)

    def on_startup(app: FastAPI) -> None:
        app.state.purchases = Purchases(
            settings, resources.uow_factory, resources.outbox, resources.redis, mercadopago, updates
        )
        app.state.payment_sync = PaymentSync.from_settings(
            settings, uow_factory=resources.uow_factory, outbox=resources.outbox, mercadopago=mercadopago
        )

    return create_service_app(
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
    )

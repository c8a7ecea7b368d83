"""purchase-svc HTTP API: ``create_app()`` wires the database, Redis, the outbox publisher,
Mercado Pago and the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from redis.asyncio import Redis
from sqlalchemy import text

from crowdify.auth import TokenVerifier
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.errors import install_problem_handlers
from crowdify.idempotency import IdempotencyMiddleware
from crowdify.messaging.outbox import Outbox
from crowdify.messaging.publisher import Publisher
from crowdify.observability import (
    HealthCheck,
    RequestContextMiddleware,
    configure_logging,
    install_health_routes,
    install_metrics,
)
from purchase_svc.adapters.mercadopago import MercadoPagoClient
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
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=settings.db_pool_size)
    publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
    redis = Redis.from_url(settings.redis_url)
    uow_factory = UnitOfWorkFactory(engine)
    outbox = Outbox(messaging, publisher)
    outbox.attach(uow_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await publisher.connect()
        verifier = TokenVerifier(settings)
        app.state.token_verifier = verifier
        mercadopago = mercadopago_client(settings)
        app.state.purchases = Purchases(settings, uow_factory, outbox, redis, mercadopago)
        app.state.payment_sync = PaymentSync.from_settings(
            settings, uow_factory=uow_factory, outbox=outbox, mercadopago=mercadopago
        )
        try:
            yield
        finally:
            await verifier.aclose()
            await publisher.close()
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(title="Crowdify purchase-svc", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Location"],
    )
    # Placing an order accepts Idempotency-Key: a retried POST never buys twice.
    app.add_middleware(
        IdempotencyMiddleware, redis=redis, service=settings.service_name, path_prefixes=["/api/v1/purchases"]
    )
    app.add_middleware(RequestContextMiddleware)

    async def database_reachable() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def broker_reachable() -> None:
        await publisher.check()

    async def cache_reachable() -> None:
        await redis.ping()

    install_health_routes(
        app,
        settings.service_name,
        [
            HealthCheck("database", database_reachable),
            HealthCheck("broker", broker_reachable),
            HealthCheck("cache", cache_reachable),
        ],
    )
    install_metrics(app)
    app.include_router(webhook.router)  # before /{order_id}: "webhook" is not an order id
    app.include_router(refunds.router)
    app.include_router(purchases.router)
    app.include_router(keys.router)  # before /{ticket_id}: "keys" is not a ticket id
    app.include_router(tickets.router)
    return app

"""event-svc HTTP API: ``create_app()`` wires the database, the outbox publisher and the routes."""

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
from event_svc.adapters.tables import messaging
from event_svc.api import events, ticket_types
from event_svc.service.catalog import Catalog
from event_svc.settings import EventSettings, get_settings

DESCRIPTION = """Events, ticket types, capacity and holds. Reservations are decided from
`purchase.order.placed` messages, never by HTTP; see the service README for the messages."""


def create_app(settings: EventSettings | None = None) -> FastAPI:
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
        app.state.catalog = Catalog(uow_factory, outbox)
        try:
            yield
        finally:
            await verifier.aclose()
            await publisher.close()
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(title="Crowdify event-svc", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "Location"],
    )
    # Creating events and ticket types accepts Idempotency-Key (API.md conventions).
    app.add_middleware(
        IdempotencyMiddleware, redis=redis, service=settings.service_name, path_prefixes=["/api/v1/events"]
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
    app.include_router(events.router)
    app.include_router(ticket_types.router)
    return app

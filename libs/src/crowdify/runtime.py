"""What every Crowdify service process builds the same way: its connections, its HTTP app
(problem+json, CORS, request ids, Idempotency-Key, health, metrics, token verification) and the
run loop of its worker. Services add only their own state, routes and consumers."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import start_http_server
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp

from crowdify.api_docs import install_api_docs
from crowdify.auth import TokenVerifier
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.errors import install_problem_handlers
from crowdify.heap import freeze_after_startup
from crowdify.idempotency import IdempotencyMiddleware
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.outbox import Outbox, OutboxRelay
from crowdify.messaging.publisher import Publisher
from crowdify.messaging.tables import MessagingTables
from crowdify.observability import (
    FASTAPI_TELEMETRY_OFF,
    HealthCheck,
    RequestContextMiddleware,
    configure_logging,
    install_health_routes,
    install_metrics,
)
from crowdify.route_lane import RouteLane, declared_route
from crowdify.settings import ServiceSettings

log = logging.getLogger(__name__)
# How long a worker's stop waits for its background loops to end once cancelled.
TASK_STOP_SECONDS = 10.0


def redis_client(settings: ServiceSettings) -> Redis:
    """A Redis client whose pool makes a request wait for a free connection: redis-py's default
    pool refuses the 101st concurrent command ("Too many connections"), which an on-sale's
    burst of orders reached, each failing with a 500."""
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_pool_timeout_seconds,
    )
    return Redis.from_pool(pool)  # closing the client closes its pool


@dataclass(frozen=True)
class ServiceResources:
    """The connections one process of a service holds: its database (own schema and role), the
    broker publisher behind its outbox, and Redis."""

    engine: AsyncEngine
    uow_factory: UnitOfWorkFactory
    publisher: Publisher
    outbox: Outbox
    redis: Redis

    @classmethod
    def create(cls, settings: ServiceSettings, tables: MessagingTables) -> ServiceResources:
        engine = create_engine(settings.database_url, settings.db_schema, pool_size=settings.db_pool_size)
        uow_factory = UnitOfWorkFactory(engine)
        publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
        outbox = Outbox(tables, publisher)
        outbox.attach(uow_factory)  # every unit of work publishes its outbox rows right after commit
        return cls(engine, uow_factory, publisher, outbox, redis_client(settings))

    async def open(self) -> None:
        await self.publisher.connect()

    async def close(self) -> None:
        await self.publisher.close()
        await self.redis.aclose()
        await self.engine.dispose()

    def health_checks(self) -> list[HealthCheck]:
        async def database_reachable() -> None:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))

        async def broker_reachable() -> None:
            await self.publisher.check()

        async def cache_reachable() -> None:
            await self.redis.ping()

        return [
            HealthCheck("database", database_reachable),
            HealthCheck("broker", broker_reachable),
            HealthCheck("cache", cache_reachable),
        ]


def cors_options(settings: ServiceSettings) -> dict[str, Any]:
    """The CORS rules of every service's API (browsers on the listed origins may call it)."""
    return {
        "allow_origins": settings.cors_origin_list,
        "allow_credentials": True,
        "allow_methods": ["*"],
        "allow_headers": ["*"],
        "expose_headers": ["X-Request-ID", "Location"],
    }


def create_service_app(
    *,
    settings: ServiceSettings,
    resources: ServiceResources,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    on_startup: Callable[[FastAPI], Awaitable[None] | None],
    idempotent_prefixes: Sequence[str] = (),
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
    access_log_sample: float = 1.0,
    lanes: Sequence[tuple[str, str]] = (),
) -> FastAPI:
    """The HTTP app of a service. ``on_startup`` (plain or async) puts the service's own state on
    ``app.state`` once the connections are open, ``on_shutdown`` releases what it started before they close;
    ``routers`` are included in order (put fixed paths before ``/{id}`` ones);
    ``access_log_sample`` is the share of successful requests logged (errors always are);
    ``lanes`` names the hot routes, as ``(method, path)``, that take a lane of their own
    (:class:`~crowdify.route_lane.RouteLane`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await resources.open()
        verifier = TokenVerifier(settings)
        app.state.token_verifier = verifier
        started = on_startup(app)
        if started is not None:
            await started
        freeze_after_startup(settings.gc_freeze_after_startup)
        try:
            yield
        finally:
            if on_shutdown is not None:
                await on_shutdown()
            await verifier.aclose()
            await resources.close()

    # No trailing-slash redirects: Starlette builds them from the request's Host header, which any
    # client sets, and an edge that forwards it (Traefik, an ingress) would hand it back in a
    # Location. A path with a stray slash is a 404 problem like any unknown path.
    app = FastAPI(
        title=title,
        version="1.0.0",
        description=description,
        lifespan=lifespan,
        redirect_slashes=False,
        docs_url=None,
        redoc_url=None,
        telemetry=FASTAPI_TELEMETRY_OFF,
    )
    install_api_docs(app, openapi_url="/openapi.json", title=title)
    install_problem_handlers(app)
    app.add_middleware(CORSMiddleware, **cors_options(settings))
    if idempotent_prefixes:
        # Writes that create things accept Idempotency-Key (docs/api.md conventions).
        app.add_middleware(
            IdempotencyMiddleware,
            redis=resources.redis,
            service=settings.service_name,
            path_prefixes=list(idempotent_prefixes),
        )
    app.add_middleware(RequestContextMiddleware, access_log_sample=access_log_sample)
    install_health_routes(app, settings.service_name, resources.health_checks())
    install_metrics(app)
    for router in routers:
        app.include_router(router)
    # Last, so each lane is the outermost of the app's middleware.
    for method, path in lanes:
        idempotent = path.startswith(tuple(idempotent_prefixes))
        around = partial(
            _lane_layers,
            settings=settings,
            redis=resources.redis,
            access_log_sample=access_log_sample,
            idempotent_path=path if idempotent else None,
        )
        app.add_middleware(RouteLane, route=declared_route(routers, path, method), around=around)
    return app


def _lane_layers(
    endpoint: ASGIApp,
    *,
    settings: ServiceSettings,
    redis: Redis,
    access_log_sample: float,
    idempotent_path: str | None,
) -> ASGIApp:
    """``endpoint`` wrapped in the layers :func:`create_service_app` puts around every route, in
    the same order: request context, Idempotency-Key (for a route that takes one), CORS."""
    lane: ASGIApp = CORSMiddleware(endpoint, **cors_options(settings))
    if idempotent_path is not None:
        lane = IdempotencyMiddleware(
            lane, redis=redis, service=settings.service_name, path_prefixes=[idempotent_path]
        )
    return RequestContextMiddleware(lane, access_log_sample=access_log_sample)


class WorkerSettings(Protocol):
    """What a worker's run loop reads from its service's settings."""

    service_name: str
    log_level: str
    worker_metrics_host: str
    worker_metrics_port: int
    gc_freeze_after_startup: bool


class ServiceWorker:
    """One worker process of a service: its consumer queue, the outbox relay that re-sends what a
    crash left behind, and whatever periodic work the service adds in :meth:`background_tasks`.
    Several may run at once: the consumer, the relay (SKIP LOCKED) and well-behaved background
    tasks are all safe in parallel."""

    def __init__(
        self, settings: ServiceSettings, tables: MessagingTables, *, queue: str, prefetch: int
    ) -> None:
        self.settings = settings
        self.resources = ServiceResources.create(settings, tables)
        self.uow_factory = self.resources.uow_factory
        self.outbox = self.resources.outbox
        self.relay = OutboxRelay(self.uow_factory, tables, self.resources.publisher)
        self.consumer = Consumer(
            queue=queue,
            uow_factory=self.uow_factory,
            tables=tables,
            amqp_url=settings.amqp_url,
            exchange_name=settings.amqp_exchange,
            prefetch=prefetch,
            queue_type=settings.amqp_queue_type,
        )
        self._tasks: list[asyncio.Task[None]] = []

    def background_tasks(self) -> dict[str, Coroutine[Any, Any, None]]:
        """The service's own long-running loops, by name (none by default)."""
        return {}

    async def start(self) -> None:
        await self.resources.open()
        await self.consumer.start()
        loops = {"outbox-relay": self.relay.run_forever(), **self.background_tasks()}
        self._tasks = [asyncio.create_task(loop, name=name) for name, loop in loops.items()]

    async def stop(self) -> None:
        await self.consumer.stop()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a loop that lost its cancellation (a driver turning it into an error it
            # then retried) must not hold the worker's stop forever.
            _, still_running = await asyncio.wait(self._tasks, timeout=TASK_STOP_SECONDS)
            for task in still_running:
                log.warning("background task %s did not stop when cancelled", task.get_name())
        await self.resources.close()


async def run_worker(make_worker: Callable[[], ServiceWorker], settings: WorkerSettings) -> None:
    """Run a worker until SIGINT or SIGTERM, then stop it cleanly (messages in hand finish)."""
    configure_logging(f"{settings.service_name}-worker", settings.log_level)
    if settings.worker_metrics_port:
        # A worker has no HTTP API; Prometheus scrapes outbox lag and parked messages here.
        start_http_server(settings.worker_metrics_port, addr=settings.worker_metrics_host)
    worker = make_worker()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await worker.start()
    freeze_after_startup(settings.gc_freeze_after_startup)
    log.info("worker started")
    await stop.wait()
    await worker.stop()

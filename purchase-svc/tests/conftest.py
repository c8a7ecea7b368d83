"""Fixtures for purchase-svc tests on the real PostgreSQL, Redis and RabbitMQ, and the real
Mercado Pago emulator.

The session gets a database of its own, provisioned like production and migrated with the real
histories of purchase-svc and event-svc (the saga tests run event-svc's worker too, exactly as
deployed). Each test gets its own exchange and queue names.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from crowdify.auth import issue_backend_token
from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, rabbit_namespace
from crowdify.testing.service_database import migrated_database
from event_svc.settings import EventSettings
from event_svc.worker import Worker as EventWorker
from mp_emulator.testing import running_emulator
from purchase_svc.main import create_app
from purchase_svc.settings import PurchaseSettings
from purchase_svc.worker import Worker as PurchaseWorker


@pytest.fixture(scope="session")
async def database_name() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_purchase", ["purchase-svc", "event-svc"]) as name:
        yield name


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    with running_emulator(retry_schedule=[]) as url:
        yield url


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(TestInfrastructureSettings().amqp_url, prefix="purchase") as namespace:
        yield namespace


@pytest.fixture
def settings(database_name: str, rabbit: RabbitNamespace, emulator_url: str) -> PurchaseSettings:
    return PurchaseSettings(
        database_url=f"postgresql+asyncpg://purchase_svc@127.0.0.1:5432/{database_name}",
        amqp_url=rabbit.amqp_url,
        amqp_exchange=rabbit.exchange,
        amqp_queue_type=TestInfrastructureSettings().amqp_queue_type,
        catalog_queue=rabbit.queue("purchase-catalog"),
        mercadopago_api_base_url=emulator_url,
        mercadopago_breaker_threshold=3,
        mercadopago_breaker_ttl_seconds=0.5,
        db_pool_size=5,
        worker_metrics_port=0,
    )


@pytest.fixture
def event_settings(database_name: str, rabbit: RabbitNamespace) -> EventSettings:
    return EventSettings(
        database_url=f"postgresql+asyncpg://event_svc@127.0.0.1:5432/{database_name}",
        amqp_url=rabbit.amqp_url,
        amqp_exchange=rabbit.exchange,
        amqp_queue_type=TestInfrastructureSettings().amqp_queue_type,
        reservations_queue=rabbit.queue("event-orders"),
        hold_sweep_seconds=0.2,
        db_pool_size=5,
        worker_metrics_port=0,
    )


@pytest.fixture
async def platform(
    settings: PurchaseSettings, event_settings: EventSettings, rabbit: RabbitNamespace
) -> AsyncIterator[None]:
    """event-svc's worker and purchase-svc's worker, consuming each other's messages."""
    workers: list[Any] = [EventWorker(event_settings), PurchaseWorker(settings)]
    for worker in workers:
        rabbit.track(worker.consumer.topology.queue_names)
        await worker.start()
    try:
        yield
    finally:
        for worker in reversed(workers):
            await worker.stop()


@pytest.fixture
async def client(settings: PurchaseSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://purchase-svc", timeout=30) as http:
            yield http


@pytest.fixture
def bearer(settings: PurchaseSettings) -> Callable[..., dict[str, str]]:
    """Tokens for this test; without ``sub``, the test's own buyer (orders are limited per buyer)."""
    buyer = f"buyer-{uuid.uuid4()}"

    def make(role: str = "user", sub: str | None = None, email: str = "ana@example.com") -> dict[str, str]:
        sub = sub or buyer
        token = issue_backend_token(
            settings.jwt_secret.get_secret_value(), subject=sub, role=role, email=email
        )
        return {"Authorization": f"Bearer {token}"}

    return make

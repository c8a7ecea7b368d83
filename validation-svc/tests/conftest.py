"""Fixtures for validation-svc tests on the real PostgreSQL and RabbitMQ.

The session gets a database of its own, provisioned like production and migrated with the real
history of validation-svc. Each test gets its own exchange and queue names, a running worker
that feeds the registry from published messages, and the HTTP app in-process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from crowdify.auth import issue_backend_token
from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, rabbit_namespace
from crowdify.testing.service_database import migrated_database
from tests.door import Door
from validation_svc.main import create_app
from validation_svc.settings import ValidationSettings
from validation_svc.worker import Worker


@pytest.fixture(scope="session")
async def database_name() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_validation", ["validation-svc"]) as name:
        yield name


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(TestInfrastructureSettings().amqp_url, prefix="validation") as namespace:
        yield namespace


@pytest.fixture
def settings(database_name: str, rabbit: RabbitNamespace) -> ValidationSettings:
    return ValidationSettings(
        database_url=f"postgresql+asyncpg://validation_svc@127.0.0.1:5432/{database_name}",
        amqp_url=rabbit.amqp_url,
        amqp_exchange=rabbit.exchange,
        amqp_queue_type=TestInfrastructureSettings().amqp_queue_type,
        events_queue=rabbit.queue("validation-events"),
        db_pool_size=10,
        worker_metrics_port=0,
        admissions_poll_seconds=0.2,
    )


@pytest.fixture
async def worker(settings: ValidationSettings, rabbit: RabbitNamespace) -> AsyncIterator[Worker]:
    running = Worker(settings)
    rabbit.track(running.consumer.topology.queue_names)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def publish(settings: ValidationSettings) -> AsyncIterator[Callable[[Contract], Awaitable[None]]]:
    async with Publisher(settings.amqp_url, settings.amqp_exchange) as publisher:

        async def send(message: Contract) -> None:
            await publisher.publish(Envelope.wrap(message, correlation_id=str(uuid.uuid4())))

        yield send


@pytest.fixture
async def client(settings: ValidationSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://validation-svc", timeout=30
        ) as http:
            yield http


@pytest.fixture
def bearer(settings: ValidationSettings) -> Callable[..., dict[str, str]]:
    def make(role: str = "scanner", sub: str = "door-1") -> dict[str, str]:
        token = issue_backend_token(settings.jwt_secret.get_secret_value(), subject=sub, role=role)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def door(
    worker: Worker,
    publish: Callable[[Contract], Awaitable[None]],
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
) -> Door:
    return Door(publish, client, bearer("scanner"), bearer("coordinator"))

"""Fixtures for admin-svc tests on the real PostgreSQL and RabbitMQ, the Supabase Auth emulator
over real HTTP, and the shared SMTP sink.

The session gets a database of its own, provisioned like production and migrated with admin-svc's
real history, and one emulator; each test gets its own exchange and queue, workers started on
demand, and the HTTP app in-process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from admin_svc.main import create_app
from admin_svc.settings import AdminSettings
from admin_svc.worker import Worker
from crowdify.auth import issue_backend_token
from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, rabbit_namespace
from crowdify.testing.service_database import migrated_database
from supabase_emulator.testing import EmulatorClient, running_emulator

Publish = Callable[..., Awaitable[Envelope]]
Bearer = Callable[..., dict[str, str]]
SUPABASE_SECRET = "admin-svc-tests-supabase-secret-0123456789"


@pytest.fixture(scope="session")
async def database_name() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_admin", ["admin-svc"]) as name:
        yield name


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_emulator(tmp_path_factory.mktemp("supabase"), supabase_jwt_secret=SUPABASE_SECRET) as url:
        yield url


@pytest.fixture
async def emulator(emulator_url: str) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator_url) as client:
        yield client


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(TestInfrastructureSettings().amqp_url, prefix="admin") as namespace:
        yield namespace


@pytest.fixture
async def settings(database_name: str, rabbit: RabbitNamespace, emulator: EmulatorClient) -> AdminSettings:
    return AdminSettings(
        database_url=f"postgresql+asyncpg://admin_svc@127.0.0.1:5432/{database_name}",
        amqp_url=rabbit.amqp_url,
        amqp_exchange=rabbit.exchange,
        amqp_queue_type=TestInfrastructureSettings().amqp_queue_type,
        events_queue=rabbit.queue("admin-events"),
        db_pool_size=3,
        worker_metrics_port=0,
        supabase_url=emulator.base_url,
        supabase_jwt_secret=SUPABASE_SECRET,
        supabase_service_role_key=(await emulator.api_keys())["service_role"],
        invite_redirect_url="http://localhost:5173/bienvenida",
        export_batch_rows=500,
    )


@pytest.fixture
async def start_worker(settings: AdminSettings, rabbit: RabbitNamespace) -> AsyncIterator[Callable[..., Any]]:
    running: list[Worker] = []

    async def start(**overrides: Any) -> Worker:
        worker = Worker(settings.model_copy(update=overrides))
        rabbit.track(worker.consumer.topology.queue_names)
        await worker.start()
        running.append(worker)
        return worker

    yield start
    for worker in running:
        await worker.stop()


@pytest.fixture
async def worker(start_worker: Callable[..., Any]) -> Worker:
    worker: Worker = await start_worker()
    return worker


@pytest.fixture
async def publish(settings: AdminSettings) -> AsyncIterator[Publish]:
    async with Publisher(settings.amqp_url, settings.amqp_exchange) as publisher:

        async def send(message: Contract | None = None, *, envelope: Envelope | None = None) -> Envelope:
            """Publish ``message`` (or re-publish ``envelope`` as is: a broker redelivery)."""
            assert message is not None or envelope is not None
            sent = envelope or Envelope.wrap(message, correlation_id=str(uuid.uuid4()))  # type: ignore[arg-type]
            await publisher.publish(sent)
            return sent

        yield send


@pytest.fixture
async def client(settings: AdminSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin-svc", timeout=60) as http:
            yield http


@pytest.fixture
def bearer(settings: AdminSettings) -> Bearer:
    def make(role: str = "admin", sub: str | None = None, email: str | None = None) -> dict[str, str]:
        token = issue_backend_token(
            settings.jwt_secret.get_secret_value(),
            subject=sub or f"{role}-{uuid.uuid4().hex[:8]}",
            role=role,
            email=email,
        )
        return {"Authorization": f"Bearer {token}"}

    return make

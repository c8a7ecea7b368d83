"""Fixtures for pdf-svc tests on the real PostgreSQL, RabbitMQ and S3-compatible storage.

The session gets a database of its own, provisioned like production and migrated with the real
history of pdf-svc, and a bucket of its own. Each test gets its own exchange and queue names, a
running worker that renders from published messages, a recorder of what pdf-svc publishes, and
the HTTP app in-process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import aio_pika
import httpx
import pytest

from crowdify.auth import issue_backend_token
from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.exchange import declare_exchange
from crowdify.messaging.publisher import Publisher
from crowdify.runtime import ServiceResources
from crowdify.storage import ObjectStorageSettings, ensure_bucket
from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, rabbit_namespace
from crowdify.testing.service_database import migrated_database
from pdf_svc.adapters.storage import document_store
from pdf_svc.adapters.tables import messaging
from pdf_svc.main import create_app
from pdf_svc.service.rendering import Renderer
from pdf_svc.settings import PdfSettings
from pdf_svc.worker import Worker
from tests.bus import Recorder

Publish = Callable[..., Awaitable[Envelope]]


@pytest.fixture(scope="session")
async def database_name() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_pdf", ["pdf-svc"]) as name:
        yield name


@pytest.fixture(scope="session")
def bucket() -> str:
    name = f"pdf-test-{uuid.uuid4().hex[:12]}"
    ensure_bucket(ObjectStorageSettings(), name)
    return name


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(TestInfrastructureSettings().amqp_url, prefix="pdf") as namespace:
        yield namespace


def make_settings(database_name: str, rabbit: RabbitNamespace, storage: ObjectStorageSettings) -> PdfSettings:
    return PdfSettings(
        database_url=f"postgresql+asyncpg://pdf_svc@127.0.0.1:5432/{database_name}",
        amqp_url=rabbit.amqp_url,
        amqp_exchange=rabbit.exchange,
        amqp_queue_type=TestInfrastructureSettings().amqp_queue_type,
        events_queue=rabbit.queue("pdf-events"),
        # Small pools: the database server is shared with every other test run on this machine.
        db_pool_size=3,
        worker_metrics_port=0,
        storage=storage,
        storage_timeout_seconds=10.0,
        storage_breaker_ttl_seconds=0.5,
    )


@pytest.fixture
def settings(database_name: str, rabbit: RabbitNamespace, bucket: str) -> PdfSettings:
    return make_settings(database_name, rabbit, ObjectStorageSettings(bucket=bucket))


@pytest.fixture
async def bus(settings: PdfSettings) -> AsyncIterator[Recorder]:
    """Every ``pdf.*`` message published on the test's exchange, from before the worker starts."""
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    exchange = await declare_exchange(channel, settings.amqp_exchange)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "pdf.#")
    recorder = Recorder()
    await queue.consume(recorder.record)
    try:
        yield recorder
    finally:
        await connection.close()


@pytest.fixture
async def worker(settings: PdfSettings, rabbit: RabbitNamespace, bus: Recorder) -> AsyncIterator[Worker]:
    running = Worker(settings)
    rabbit.track(running.consumer.topology.queue_names)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def publish(settings: PdfSettings) -> AsyncIterator[Publish]:
    async with Publisher(settings.amqp_url, settings.amqp_exchange) as publisher:

        async def send(message: Contract, *, envelope: Envelope | None = None) -> Envelope:
            envelope = envelope or Envelope.wrap(message, correlation_id=str(uuid.uuid4()))
            await publisher.publish(envelope)
            return envelope

        yield send


@pytest.fixture
async def client(settings: PdfSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pdf-svc", timeout=30) as http:
            yield http


@pytest.fixture
def bearer(settings: PdfSettings) -> Callable[..., dict[str, str]]:
    def make(sub: str = "buyer-1", role: str = "user") -> dict[str, str]:
        token = issue_backend_token(settings.jwt_secret.get_secret_value(), subject=sub, role=role)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
async def resources(settings: PdfSettings) -> AsyncIterator[ServiceResources]:
    """The connections of a pdf-svc process, for tests that call the use cases directly."""
    opened = ServiceResources.create(settings, messaging)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def renderer(settings: PdfSettings, resources: ServiceResources) -> Renderer:
    return Renderer(document_store(settings), resources.outbox)

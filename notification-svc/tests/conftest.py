"""Fixtures for notification-svc tests on the real PostgreSQL, RabbitMQ, S3-compatible storage
and SMTP sink.

The session gets a database of its own, provisioned like production and migrated with the real
history of notification-svc. Each test gets its own exchange and queue names, its own bucket,
workers started on demand (several, for the concurrency tests), and the HTTP app in-process.
Emails go to the shared SMTP sink; every test writes to addresses of its own and reads back only
those (the sink is never emptied: other tests use it at the same time).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest

from crowdify.auth import issue_backend_token
from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.storage import ObjectStorageSettings
from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, rabbit_namespace, unique_name
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from crowdify.testing.service_database import migrated_database
from notification_svc.adapters.providers import GuardedProvider
from notification_svc.main import create_app
from notification_svc.settings import NotificationSettings
from notification_svc.worker import Worker
from tests.orders import Shop

Publish = Callable[..., Awaitable[Envelope]]
StartWorker = Callable[..., Awaitable[Worker]]


@pytest.fixture(scope="session")
async def database_name() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_notification", ["notification-svc"]) as name:
        yield name


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(TestInfrastructureSettings().amqp_url, prefix="notification") as namespace:
        yield namespace


@pytest.fixture
def settings(database_name: str, rabbit: RabbitNamespace) -> NotificationSettings:
    return NotificationSettings(
        database_url=f"postgresql+asyncpg://notification_svc@127.0.0.1:5432/{database_name}",
        amqp_url=rabbit.amqp_url,
        amqp_exchange=rabbit.exchange,
        amqp_queue_type=TestInfrastructureSettings().amqp_queue_type,
        events_queue=rabbit.queue("notification-events"),
        db_pool_size=3,
        worker_metrics_port=0,
        email_provider="smtp",
        smtp_host="127.0.0.1",
        smtp_port=1025,
        public_base_url="http://localhost:8000",
        pdf_wait_seconds=30,
        send_poll_seconds=0.2,
        retry_base_seconds=0.2,
        retry_max_seconds=1.0,
        breaker_threshold=3,
        breaker_ttl_seconds=1.0,
        provider_timeout_seconds=5,
    )


@pytest.fixture
def bucket() -> Iterator[str]:
    """A bucket of this test's own on the S3-compatible server, emptied and removed afterwards."""
    client = ObjectStorageSettings().client()
    name = unique_name("notif").replace("_", "-")
    client.make_bucket(name)
    try:
        yield name
    finally:
        for item in client.list_objects(name, recursive=True):
            client.remove_object(name, item.object_name)
        client.remove_bucket(name)


@pytest.fixture
async def start_worker(settings: NotificationSettings, rabbit: RabbitNamespace) -> AsyncIterator[StartWorker]:
    """Start a worker (``**overrides`` change its settings; ``provider=`` swaps its provider);
    every worker started is stopped at the end."""
    running: list[Worker] = []

    async def start(provider: GuardedProvider | None = None, **overrides: Any) -> Worker:
        worker = Worker(settings.model_copy(update=overrides), provider=provider)
        rabbit.track(worker.consumer.topology.queue_names)
        await worker.start()
        running.append(worker)
        return worker

    yield start
    for worker in running:
        await worker.stop()


@pytest.fixture
async def worker(start_worker: StartWorker) -> Worker:
    return await start_worker()


@pytest.fixture
async def publish(settings: NotificationSettings) -> AsyncIterator[Publish]:
    async with Publisher(settings.amqp_url, settings.amqp_exchange) as publisher:

        async def send(message: Contract, *, envelope: Envelope | None = None) -> Envelope:
            """Publish ``message`` (or re-publish ``envelope`` as is: a broker redelivery)."""
            sent = envelope or Envelope.wrap(message, correlation_id=str(uuid.uuid4()))
            await publisher.publish(sent)
            return sent

        yield send


@pytest.fixture
def shop(publish: Publish, bucket: str) -> Shop:
    return Shop(publish, bucket)


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    async with Mailbox("http://127.0.0.1:8025") as box:
        yield box


@pytest.fixture
async def client(settings: NotificationSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://notification-svc", timeout=30
        ) as http:
            yield http


@pytest.fixture
def bearer(settings: NotificationSettings) -> Callable[..., dict[str, str]]:
    def make(role: str = "user", sub: str = "buyer-1") -> dict[str, str]:
        token = issue_backend_token(settings.jwt_secret.get_secret_value(), subject=sub, role=role)
        return {"Authorization": f"Bearer {token}"}

    return make

"""Fixtures for event-svc tests, on the real PostgreSQL and RabbitMQ of this machine.

The session gets a database of its own, provisioned like production (one role and schema per
service) and migrated with event-svc's real Alembic history, then dropped. Each test gets its own
exchange and queue names, so tests never see each other's messages.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aio_pika
import pytest

from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, rabbit_namespace
from crowdify.testing.service_database import migrated_database
from event_svc.settings import EventSettings

if TYPE_CHECKING:
    from event_svc.service.catalog import Catalog
    from event_svc.worker import Worker


@pytest.fixture(scope="session")
async def database_name() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_event", ["event-svc"]) as name:
        yield name


@pytest.fixture
async def rabbit() -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(TestInfrastructureSettings().amqp_url, prefix="event") as namespace:
        yield namespace


@pytest.fixture
def settings(database_name: str, rabbit: RabbitNamespace) -> EventSettings:
    return EventSettings(
        amqp_queue_type=TestInfrastructureSettings().amqp_queue_type,
        database_url=f"postgresql+asyncpg://event_svc@127.0.0.1:5432/{database_name}",
        amqp_url=rabbit.amqp_url,
        amqp_exchange=rabbit.exchange,
        reservations_queue=rabbit.queue("orders"),
        hold_sweep_seconds=0.2,
        db_pool_size=3,
    )


@pytest.fixture
def make_worker(settings: EventSettings, rabbit: RabbitNamespace) -> Callable[[], Worker]:
    """Workers on this test's queues; their retry and parking queues are deleted afterwards."""
    from event_svc.worker import Worker

    def make() -> Worker:
        worker = Worker(settings)
        rabbit.track(worker.consumer.topology.queue_names)
        return worker

    return make


@dataclass
class Bus:
    """Publishes what purchase-svc would, and records what event-svc answers about those orders.

    The session's tests share one database, so a worker's relay may also send another test's
    leftover outbox rows; only answers about this test's orders count.
    """

    publisher: Publisher
    received: list[Envelope] = field(default_factory=list)
    orders: set[str] = field(default_factory=set)

    async def send(self, event: Contract, *, envelope_id: uuid.UUID | None = None) -> Envelope:
        order_id = str(getattr(event, "order_id", "test"))
        self.orders.add(order_id)
        envelope = Envelope.wrap(event, correlation_id=order_id)
        if envelope_id is not None:
            envelope = envelope.model_copy(update={"id": envelope_id})
        await self.publisher.publish(envelope)
        return envelope

    async def resend(self, envelope: Envelope) -> None:
        await self.publisher.publish(envelope)

    def of_type(self, name: str) -> list[Envelope]:
        return [e for e in self.received if e.type == name and e.payload.get("order_id") in self.orders]


@pytest.fixture
async def bus(settings: EventSettings) -> AsyncIterator[Bus]:
    publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
    await publisher.connect()
    bus = Bus(publisher)
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(settings.amqp_exchange)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, "catalog.#")

    async def record(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            bus.received.append(Envelope.from_json(message.body))

    await queue.consume(record)
    try:
        yield bus
    finally:
        await connection.close()
        await publisher.close()


@pytest.fixture
async def catalog(settings: EventSettings) -> AsyncIterator[Catalog]:
    from crowdify.db import UnitOfWorkFactory, create_engine
    from crowdify.messaging.outbox import Outbox
    from event_svc.adapters.tables import messaging
    from event_svc.service.catalog import Catalog

    engine = create_engine(settings.database_url, settings.db_schema, pool_size=5)
    publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
    uow_factory = UnitOfWorkFactory(engine)
    outbox = Outbox(messaging, publisher)
    outbox.attach(uow_factory)
    try:
        yield Catalog(uow_factory, outbox)
    finally:
        await publisher.close()
        await engine.dispose()


@pytest.fixture
async def worker(settings: EventSettings, bus: Bus) -> AsyncIterator[Worker]:
    from event_svc.worker import Worker

    running = Worker(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()

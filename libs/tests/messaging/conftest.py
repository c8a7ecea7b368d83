"""Fixtures for the messaging tests: a schema with the outbox, the inbox and an ``effects`` table
the test handlers write to (one row per handler run that committed), plus broker helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractQueue, AbstractRobustConnection
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from crowdify.db import UnitOfWork, UnitOfWorkFactory, schema_metadata
from crowdify.messaging import Consumer, MessagingTables, Publisher, messaging_tables
from crowdify.messaging.exchange import declare_exchange
from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, unique_schema

pytestmark = pytest.mark.integration

# Retry delays short enough for a test to wait through.
FAST_RETRIES = (0.2, 0.4)


@dataclass
class MessagingDb:
    schema: str
    engine: AsyncEngine
    metadata: MetaData
    tables: MessagingTables
    effects: Table

    def uow_factory(self) -> UnitOfWorkFactory:
        return UnitOfWorkFactory(self.engine)

    async def record_effect(self, uow: UnitOfWork, ticket_id: str, note: str = "") -> None:
        await uow.session.execute(insert(self.effects).values(ticket_id=ticket_id, note=note))

    async def effect_count(self, ticket_id: str | None = None) -> int:
        query = select(func.count()).select_from(self.effects)
        if ticket_id is not None:
            query = query.where(self.effects.c.ticket_id == ticket_id)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def outbox_rows(self) -> list[Any]:
        outbox = self.tables.outbox
        async with self.engine.connect() as conn:
            return list((await conn.execute(select(outbox).order_by(outbox.c.created_at))).all())


@pytest.fixture
async def db(infra: TestInfrastructureSettings) -> AsyncIterator[MessagingDb]:
    # A fixed schema name in the metadata, mapped to a unique one by the engine: the same way
    # a service's tests run its real metadata in isolation.
    metadata = schema_metadata("svc")
    tables = messaging_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("ticket_id", Text, nullable=False),
        Column("note", Text, nullable=False, server_default=""),
    )
    async with unique_schema(infra.database_url, metadata=metadata, prefix="msg") as schema:
        yield MessagingDb(schema.name, schema.engine, metadata, tables, effects)


@pytest.fixture
async def amqp(infra: TestInfrastructureSettings) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(infra.amqp_url)
    async with connection:
        yield connection


@pytest.fixture
async def publisher(infra: TestInfrastructureSettings, rabbit: RabbitNamespace) -> AsyncIterator[Publisher]:
    async with Publisher(infra.amqp_url, rabbit.exchange) as publisher:
        yield publisher


ProbeFactory = Callable[..., Awaitable[AbstractQueue]]


@pytest.fixture
def probe(amqp: AbstractRobustConnection, rabbit: RabbitNamespace) -> ProbeFactory:
    """A queue bound to the test exchange that records what is published (``#``: everything)."""

    async def make(routing_key: str = "#", name: str = "probe") -> AbstractQueue:
        channel = await amqp.channel()
        exchange = await declare_exchange(channel, rabbit.exchange)
        queue = await channel.declare_queue(rabbit.queue(name), durable=True)
        await queue.bind(exchange, routing_key=routing_key)
        return queue

    return make


@pytest.fixture
async def make_consumer(db, infra: TestInfrastructureSettings, rabbit: RabbitNamespace):
    """Consumers on the test exchange, stopped (and their queues deleted) after the test."""
    started: list[Consumer] = []

    def make(
        name: str = "counter",
        *,
        uow_factory=None,
        retry_delays=FAST_RETRIES,
        queue_type=None,
        parking_check_seconds=None,
        prefetch=5,
    ) -> Consumer:
        consumer = Consumer(
            queue=rabbit.queue(name),
            uow_factory=uow_factory or db.uow_factory(),
            tables=db.tables,
            amqp_url=infra.amqp_url,
            exchange_name=rabbit.exchange,
            retry_delays=retry_delays,
            queue_type=queue_type or rabbit.queue_type,
            prefetch=prefetch,
            parking_check_seconds=parking_check_seconds,
        )
        rabbit.track(consumer.topology.queue_names)
        started.append(consumer)
        return consumer

    yield make
    for consumer in started:
        await consumer.stop()

"""Fixtures for event-svc tests, on the real PostgreSQL and RabbitMQ of this machine.

The shared ones (a migrated database per session, a RabbitMQ namespace, the HTTP app in-process)
come from :mod:`crowdify.testing.pytest_plugin`; here are what is event-svc's own: its settings,
a bus that publishes what purchase-svc would and records what event-svc answers, the catalogue
called directly, and workers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.testing import RabbitNamespace
from crowdify.testing.rabbitmq import recording
from crowdify.testing.service_under_test import ServiceUnderTest, running_workers
from event_svc.main import create_app
from event_svc.settings import EventSettings

if TYPE_CHECKING:
    from event_svc.service.catalog import Catalog
    from event_svc.worker import Worker

pytest_plugins = ["crowdify.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest("event-svc", create_app=create_app)


@pytest.fixture
def settings(infrastructure: dict[str, Any], rabbit: RabbitNamespace) -> EventSettings:
    return EventSettings(
        **infrastructure, reservations_queue=rabbit.queue("orders"), hold_sweep_seconds=0.2, db_pool_size=3
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
        self.orders.update(str(order.order_id) for order in getattr(event, "orders", ()))
        envelope = Envelope.wrap(event, correlation_id=order_id)
        if envelope_id is not None:
            envelope = envelope.model_copy(update={"id": envelope_id})
        await self.publisher.publish(envelope)
        return envelope

    async def resend(self, envelope: Envelope) -> None:
        await self.publisher.publish(envelope)

    def of_type(self, name: str) -> list[Envelope]:
        return [e for e in self.received if e.type == name and e.payload.get("order_id") in self.orders]

    def held(self) -> list[dict[str, Any]]:
        """This test's orders announced as held, from every batch of decisions, in order received."""
        return self._decided("held")

    def refused(self) -> list[dict[str, Any]]:
        """This test's orders announced as refused (each with its reason)."""
        return self._decided("refused")

    def _decided(self, kind: str) -> list[dict[str, Any]]:
        return [decision for _, k, decision in self.decisions() if k == kind]

    def decisions(self) -> list[tuple[Envelope, str, dict[str, Any]]]:
        """Each decision on this test's orders: the message that carried it, "held" or "refused",
        and the order's item (a message received twice, as the relay may send it, counts twice)."""
        return [
            (e, kind, decision)
            for e in self.received
            if e.type == "catalog.holds.decided"
            for kind in ("held", "refused")
            for decision in e.payload[kind]
            if decision["order_id"] in self.orders
        ]


@pytest.fixture
async def bus(settings: EventSettings) -> AsyncIterator[Bus]:
    async with (
        Publisher(settings.amqp_url, settings.amqp_exchange) as publisher,
        recording(settings.amqp_url, settings.amqp_exchange, "catalog.#") as received,
    ):
        yield Bus(publisher, received)


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
async def worker(
    make_worker: Callable[[], Worker], bus: Bus, rabbit: RabbitNamespace
) -> AsyncIterator[Worker]:
    """A running worker, started once the bus records what it answers."""
    async with running_workers(rabbit) as start:
        yield await start(make_worker())

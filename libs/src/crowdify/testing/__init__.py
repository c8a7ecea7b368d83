"""Fixtures' building blocks for integration tests on the real PostgreSQL and RabbitMQ.

Every test gets its own Postgres schema and its own exchange and queue names, so tests (and
engineers sharing a machine) never see each other's rows or messages::

    async with unique_schema(settings.database_url, metadata=metadata) as db:
        uow_factory = UnitOfWorkFactory(db.engine)
        ...
    async with rabbit_namespace(settings.amqp_url) as rabbit:
        consumer = Consumer(queue=rabbit.queue("orders"), exchange_name=rabbit.exchange,
                            queue_type=rabbit.queue_type, ...)

``rabbit.queue_type`` is ``TEST_AMQP_QUEUE_TYPE`` (classic unless set): creating and deleting
hundreds of quorum queues per run is more than a small broker keeps up with. At the end the
namespace deletes its exchange, ``<exchange>.unrouted`` (exchange and queue) and every queue it
named, including the retry tiers and parking queue of a consumer with the default delays.
"""

from crowdify.testing.database import SchemaUnderTest, unique_schema
from crowdify.testing.names import unique_name
from crowdify.testing.polling import wait_until
from crowdify.testing.rabbitmq import RabbitNamespace, drain, queue_depth, rabbit_namespace
from crowdify.testing.server import free_port, serving, serving_built
from crowdify.testing.settings import TestInfrastructureSettings

__all__ = [
    "RabbitNamespace",
    "SchemaUnderTest",
    "TestInfrastructureSettings",
    "drain",
    "free_port",
    "queue_depth",
    "rabbit_namespace",
    "serving",
    "serving_built",
    "unique_name",
    "unique_schema",
    "wait_until",
]

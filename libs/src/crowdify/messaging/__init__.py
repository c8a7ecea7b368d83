"""Messaging over RabbitMQ: envelopes, transactional outbox and relay, inbox consumers with retries.

A service wires it like this (one ``MessagingTables`` per service, on its schema's metadata)::

    tables = messaging_tables(metadata)
    publisher = Publisher(settings.amqp_url, settings.amqp_exchange)
    outbox = Outbox(tables, publisher)
    outbox.attach(uow_factory)                      # units send their rows right after commit
    relay = OutboxRelay(uow_factory, tables, publisher)   # worker: sends what a crash left behind

    consumer = Consumer(queue="event-svc.purchase", uow_factory=uow_factory, tables=tables,
                        amqp_url=settings.amqp_url, exchange_name=settings.amqp_exchange,
                        queue_type=settings.amqp_queue_type)
    consumer.on(OrderPaidV1, handle_order_paid)
    await consumer.start()
"""

from crowdify.messaging.consumer import Consumer, Handler
from crowdify.messaging.envelope import ContractMismatchError, Envelope
from crowdify.messaging.outbox import Outbox
from crowdify.messaging.publisher import Publisher, PublisherUnavailableError
from crowdify.messaging.relay import OutboxRelay
from crowdify.messaging.tables import MessagingTables, messaging_tables
from crowdify.messaging.topology import ConsumerTopology, QueueType

__all__ = [
    "Consumer",
    "ConsumerTopology",
    "ContractMismatchError",
    "Envelope",
    "Handler",
    "MessagingTables",
    "Outbox",
    "OutboxRelay",
    "Publisher",
    "PublisherUnavailableError",
    "QueueType",
    "messaging_tables",
]

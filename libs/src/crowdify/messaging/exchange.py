"""The one topic exchange, and where it sends what no queue is bound to.

The main exchange is declared with an ``alternate-exchange``: a message whose routing key no
queue is bound to (an event published before its first consumer is deployed) is routed to the
fanout exchange ``<exchange>.unrouted`` and kept in the queue of the same name. The broker counts
that as routed, so the publish is confirmed and the outbox moves on instead of retrying the row
for ever; the message stays available for inspection (``python -m crowdify.messaging.unrouted``).

Every declarer (publisher, consumer topology, tools, test helpers) goes through
:func:`declare_exchange`: RabbitMQ refuses to redeclare an exchange or queue with different
arguments, so there must be exactly one definition of them.

The unrouted queue is a classic queue, whatever type the consumers' queues have:

- It is one queue per exchange, declared by every service; a type that followed each service's
  ``AMQP_QUEUE_TYPE`` would make two services configured differently refuse each other's
  declaration.
- What it holds is diagnostic: events no consumer existed for when they were published. Nothing
  downstream waits for them, so the replication a quorum queue buys is not needed, and a classic
  queue costs one process instead of a Raft group with its own log.
- It is bounded (``x-max-length``, ``x-message-ttl``; ``drop-head`` drops the oldest first), so a
  forgotten binding cannot fill the broker's disk.
"""

from __future__ import annotations

from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

UNROUTED_SUFFIX = ".unrouted"
UNROUTED_MAX_LENGTH = 100_000
UNROUTED_TTL_MS = 7 * 24 * 60 * 60 * 1000  # a week: long enough to notice and act on


def unrouted_name(exchange_name: str) -> str:
    """The alternate exchange of ``exchange_name`` and the queue bound to it (same name)."""
    return f"{exchange_name}{UNROUTED_SUFFIX}"


def exchange_arguments(exchange_name: str) -> dict[str, Any]:
    return {"alternate-exchange": unrouted_name(exchange_name)}


def unrouted_queue_arguments() -> dict[str, Any]:
    return {
        "x-queue-type": "classic",
        "x-max-length": UNROUTED_MAX_LENGTH,
        "x-message-ttl": UNROUTED_TTL_MS,
        "x-overflow": "drop-head",
    }


async def declare_exchange(channel: AbstractChannel, exchange_name: str) -> AbstractExchange:
    """Declare (idempotently) the durable topic exchange and its unrouted exchange and queue.

    The alternate exchange and its queue come first, so the main exchange never exists without
    somewhere to send an unroutable message.
    """
    unrouted = unrouted_name(exchange_name)
    unrouted_exchange = await channel.declare_exchange(unrouted, aio_pika.ExchangeType.FANOUT, durable=True)
    unrouted_queue = await channel.declare_queue(unrouted, durable=True, arguments=unrouted_queue_arguments())
    await unrouted_queue.bind(unrouted_exchange, routing_key="")
    return await channel.declare_exchange(
        exchange_name,
        aio_pika.ExchangeType.TOPIC,
        durable=True,
        arguments=exchange_arguments(exchange_name),
    )

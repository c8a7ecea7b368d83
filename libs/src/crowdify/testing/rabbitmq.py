"""Exchange and queue names of one test's own, deleted afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage, AbstractQueue

from crowdify.messaging.envelope import Envelope
from crowdify.messaging.exchange import declare_exchange, unrouted_name
from crowdify.messaging.topology import ConsumerTopology, QueueType
from crowdify.testing.names import unique_name
from crowdify.testing.polling import wait_until
from crowdify.testing.settings import TestInfrastructureSettings


@dataclass
class RabbitNamespace:
    amqp_url: str
    prefix: str
    exchange: str
    # The queue type this test run's consumers should use (``TEST_AMQP_QUEUE_TYPE``).
    queue_type: QueueType = "classic"
    _declared: set[str] = field(default_factory=set)

    @property
    def unrouted(self) -> str:
        """The exchange's alternate exchange and its queue (declared with the exchange)."""
        return unrouted_name(self.exchange)

    def queue(self, name: str) -> str:
        """A queue name inside this namespace, tracked for cleanup together with the parking
        queue and retry tiers a consumer with the default retry delays would declare for it
        (track other delays with ``track(consumer.topology.queue_names)``)."""
        full = f"{self.prefix}.{name}"
        self.track(ConsumerTopology(exchange=self.exchange, queue=full).queue_names)
        return full

    def track(self, *queue_names: str | Iterable[str]) -> None:
        """Delete these queues too at the end (e.g. ``consumer.topology.queue_names``)."""
        for item in queue_names:
            self._declared.update([item] if isinstance(item, str) else item)

    async def cleanup(self) -> None:
        """Delete the tracked queues, the exchange, and its unrouted queue and exchange.

        Deleting what was never declared is harmless, so everything is deleted unconditionally.
        """
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            for name in [*sorted(self._declared), self.unrouted]:
                # A channel per deletion: a failed deletion closes its channel.
                with suppress(aio_pika.exceptions.AMQPError):
                    channel = await connection.channel()
                    await channel.queue_delete(name)
                    await channel.close()
            for exchange in (self.exchange, self.unrouted):
                with suppress(aio_pika.exceptions.AMQPError):
                    channel = await connection.channel()
                    await channel.exchange_delete(exchange)
                    await channel.close()


@asynccontextmanager
async def rabbit_namespace(
    amqp_url: str, prefix: str = "test", *, queue_type: QueueType | None = None
) -> AsyncIterator[RabbitNamespace]:
    """A unique exchange name and queue prefix; the exchange, its unrouted queue and exchange and
    the tracked queues go at the end. ``queue_type`` defaults to ``TEST_AMQP_QUEUE_TYPE``."""
    base = unique_name(prefix)
    namespace = RabbitNamespace(
        amqp_url=amqp_url,
        prefix=base,
        exchange=f"{base}.exchange",
        queue_type=queue_type or TestInfrastructureSettings().amqp_queue_type,
    )
    try:
        yield namespace
    finally:
        await namespace.cleanup()


async def drain(
    queue: AbstractQueue, expected: int, *, within: float = 10.0
) -> list[AbstractIncomingMessage]:
    """Take (and ack) ``expected`` messages from ``queue``; fail if they do not all arrive."""
    received: list[AbstractIncomingMessage] = []

    async def take() -> bool:
        while len(received) < expected:
            message = await queue.get(no_ack=True, fail=False)
            if message is None:
                return False
            received.append(message)
        return True

    await wait_until(take, within=within, message=f"{expected} messages on {queue.name}")
    return received


async def queue_depth(connection: AbstractConnection, name: str) -> int:
    """Ready messages in ``name`` (not counting those delivered and not yet acknowledged)."""
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(name, passive=True)
        return int(queue.declaration_result.message_count or 0)
    finally:
        if not channel.is_closed:
            await channel.close()


@asynccontextmanager
async def consuming(
    amqp_url: str,
    exchange: str,
    binding_key: str | Sequence[str],
    handle: Callable[[Envelope], Awaitable[None]],
) -> AsyncIterator[None]:
    """``handle`` every message published on ``exchange`` that matches ``binding_key``
    (``"pdf.#"``, or several keys), as it arrives, on a queue of its own; listening starts before
    this returns."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True)
        declared = await declare_exchange(channel, exchange)
        for key in (binding_key,) if isinstance(binding_key, str) else binding_key:
            await queue.bind(declared, key)

        async def take(message: AbstractIncomingMessage) -> None:
            async with message.process():
                await handle(Envelope.from_json(message.body))

        await queue.consume(take)
        yield
    finally:
        await connection.close()


@asynccontextmanager
async def recording(amqp_url: str, exchange: str, binding_key: str) -> AsyncIterator[list[Envelope]]:
    """Every message published on ``exchange`` that matches ``binding_key``, in the order it
    arrives, into the list yielded; recording starts before this returns."""
    received: list[Envelope] = []

    async def record(envelope: Envelope) -> None:
        received.append(envelope)

    async with consuming(amqp_url, exchange, binding_key, record):
        yield received

"""Exchange and queue names of one test's own, deleted afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage, AbstractQueue

from crowdify.testing.names import unique_name
from crowdify.testing.polling import wait_until


@dataclass
class RabbitNamespace:
    amqp_url: str
    prefix: str
    exchange: str
    _declared: set[str] = field(default_factory=set)

    def queue(self, name: str) -> str:
        """A queue name inside this namespace (tracked, with its parking queue, for cleanup)."""
        full = f"{self.prefix}.{name}"
        self.track(full, f"{full}.parking")
        return full

    def track(self, *queue_names: str | Iterable[str]) -> None:
        """Delete these queues too at the end (e.g. ``consumer.topology.queue_names``)."""
        for item in queue_names:
            self._declared.update([item] if isinstance(item, str) else item)

    async def cleanup(self) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            for name in sorted(self._declared):
                # A channel per deletion: deleting a queue that was never declared closes it.
                with suppress(aio_pika.exceptions.AMQPError):
                    channel = await connection.channel()
                    await channel.queue_delete(name)
                    await channel.close()
            with suppress(aio_pika.exceptions.AMQPError):
                channel = await connection.channel()
                await channel.exchange_delete(self.exchange)
                await channel.close()


@asynccontextmanager
async def rabbit_namespace(amqp_url: str, prefix: str = "test") -> AsyncIterator[RabbitNamespace]:
    """A unique exchange name and queue prefix; the exchange and tracked queues go at the end."""
    base = unique_name(prefix)
    namespace = RabbitNamespace(amqp_url=amqp_url, prefix=base, exchange=f"{base}.exchange")
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

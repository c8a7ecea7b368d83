"""Publishing envelopes to the topic exchange, with publisher confirms and mandatory routing.

``publish`` returns only once the broker has confirmed the message; a nack, an unroutable message
(no queue bound to its routing key) or a lost connection raise. The outbox marks a row published
only after ``publish`` returned, so every failure leaves the row for the relay to send again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from crowdify.messaging.envelope import Envelope
from crowdify.messaging.wire import envelope_message

log = logging.getLogger(__name__)


class PublisherUnavailableError(ConnectionError):
    """The broker could not be reached, so nothing was published."""


async def declare_exchange(channel: AbstractChannel, exchange_name: str) -> AbstractExchange:
    """The one durable topic exchange every service publishes to and binds its queues on."""
    return await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)


class Publisher:
    def __init__(
        self,
        amqp_url: str,
        exchange_name: str,
        *,
        connect_timeout: float = 5.0,
        publish_timeout: float = 10.0,
    ) -> None:
        self.amqp_url = amqp_url
        self.exchange_name = exchange_name
        self.connect_timeout = connect_timeout
        self.publish_timeout = publish_timeout
        self._connection: AbstractRobustConnection | None = None
        self._exchange: AbstractExchange | None = None
        self._connect_lock = asyncio.Lock()

    async def connect(self) -> None:
        """Open the robust connection and declare the exchange; raises if the broker is down.

        Once connected, aio-pika reconnects in the background after a drop; it does not replay
        publications that failed meanwhile, which is why the outbox keeps them.
        """
        async with self._connect_lock:
            if self._exchange is not None:
                return
            try:
                connection = await aio_pika.connect_robust(self.amqp_url, timeout=self.connect_timeout)
            except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as error:
                raise PublisherUnavailableError(f"cannot reach the broker: {error!r}") from error
            # on_return_raises: with mandatory=True an unroutable message is an error, not a
            # silent drop (an event nobody is bound to yet stays in the outbox, visible as lag).
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            self._exchange = await declare_exchange(channel, self.exchange_name)
            self._connection = connection

    async def close(self) -> None:
        async with self._connect_lock:
            connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            await connection.close()

    async def check(self) -> None:
        """Raise :class:`PublisherUnavailableError` unless connected right now (for ``/ready``)."""
        if self._connection is None:
            await self.connect()
        connection = self._connection
        if connection is None or connection.is_closed or not connection.connected.is_set():
            raise PublisherUnavailableError("the broker connection is down (reconnecting)")

    async def publish(self, envelope: Envelope, headers: dict[str, Any] | None = None) -> None:
        """Publish and wait for the broker's confirm; connects first if needed."""
        if self._exchange is None:
            await self.connect()
        assert self._exchange is not None
        await self._exchange.publish(
            envelope_message(envelope, headers),
            routing_key=envelope.routing_key,
            mandatory=True,
            timeout=self.publish_timeout,
        )

    async def __aenter__(self) -> Publisher:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

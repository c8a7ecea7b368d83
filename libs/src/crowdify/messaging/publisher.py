"""Publishing envelopes to the topic exchange, with publisher confirms and mandatory routing.

``publish`` returns only once the broker has confirmed the message; a nack or a lost connection
raise. The outbox marks a row published only after ``publish`` returned, so every failure leaves
the row for the relay to send again.

A message no queue is bound to goes to the exchange's alternate exchange and waits in
``<exchange>.unrouted`` (see :mod:`crowdify.messaging.exchange`): it is confirmed like any
other. Publishing stays mandatory, so if the alternate exchange is missing too (deleted by
hand) the message is returned and raises instead of being dropped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractRobustConnection

from crowdify.messaging import closing
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.exchange import declare_exchange, unrouted_name
from crowdify.messaging.wire import envelope_message

log = logging.getLogger(__name__)


__all__ = ["Publisher", "PublisherUnavailableError", "declare_exchange"]


class PublisherUnavailableError(ConnectionError):
    """The broker could not be reached, so nothing was published."""


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
            # on_return_raises: with mandatory=True a returned message is an error, not a silent
            # drop. Unbound routing keys go to the alternate exchange, so only a broken topology
            # (the unrouted exchange deleted) returns anything.
            try:
                channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
                exchange = await declare_exchange(channel, self.exchange_name)
            except BaseException as error:
                # Typically PRECONDITION_FAILED: the exchange exists with other arguments (created
                # before it had an alternate exchange; see the runbook). Do not leak the connection.
                await connection.close()
                if isinstance(error, TimeoutError | OSError | aio_pika.exceptions.AMQPError):
                    raise PublisherUnavailableError(
                        f"cannot declare the exchange {self.exchange_name}: {error!r}"
                    ) from error
                raise
            self._exchange = exchange
            self._connection = connection

    async def close(self) -> None:
        async with self._connect_lock:
            connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            await closing.within(connection.close(), "close the publisher's connection")

    @property
    def is_connected(self) -> bool:
        connection = self._connection
        return connection is not None and not connection.is_closed and connection.connected.is_set()

    async def check(self) -> None:
        """Raise :class:`PublisherUnavailableError` unless connected right now (for ``/ready``)."""
        if self._connection is None:
            await self.connect()
        if not self.is_connected:
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

    async def unrouted_depth(self) -> int:
        """Messages waiting in ``<exchange>.unrouted`` (published while nothing was bound)."""
        if self._connection is None:
            await self.connect()
        assert self._connection is not None
        # A channel of its own: a passive declare of a missing queue closes its channel.
        channel = await self._connection.channel()
        try:
            queue = await channel.declare_queue(unrouted_name(self.exchange_name), passive=True)
            return int(queue.declaration_result.message_count or 0)
        finally:
            if not channel.is_closed:
                await channel.close()

    async def __aenter__(self) -> Publisher:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

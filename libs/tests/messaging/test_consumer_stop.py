"""Stopping a consumer whose broker has gone silent: the cancel and the close are bounded, so a
worker asked to stop does stop, and its unacknowledged message is handled by the next one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from crowdify.contracts.base import Contract
from crowdify.messaging import Consumer, Envelope
from crowdify.testing import wait_until

pytestmark = pytest.mark.integration

# Generous against the consumer's own bounds below (two waits of BROKER_SILENCE_BOUND each): the
# test fails on a stop that hangs, not on a slow one.
STOP_MUST_RETURN_WITHIN = 60.0
BROKER_SILENCE_BOUND = 0.5


class SeatCountedV1(Contract):
    name = "test.seat.counted"
    version = 1
    producer = "tests"

    seat: str


class SilencingRelay:
    """A TCP relay to the broker that can go silent: it keeps every socket open but stops
    carrying bytes either way, as a half-open connection or a broker stuck mid-restart does."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.silent = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> SilencingRelay:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.cut()

    async def cut(self) -> None:
        """Close every socket, as the death of the process on the other side does."""
        assert self._server is not None
        self._server.close()
        for pipe in self._pipes:
            pipe.cancel()
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        broker_reader, broker_writer = await asyncio.open_connection(*self.target)
        self._writers += [client_writer, broker_writer]
        for reader, writer in ((client_reader, broker_writer), (broker_reader, client_writer)):
            pipe = asyncio.create_task(self._carry(reader, writer))
            self._pipes.add(pipe)

    async def _carry(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while chunk := await reader.read(65536):
                if self.silent.is_set():
                    continue  # swallowed: the peer waits for an answer that never comes
                writer.write(chunk)
                await writer.drain()


def through(url: str, port: int) -> str:
    parts = urlsplit(url)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{port}"))


@pytest.fixture
async def relay(infra) -> AsyncIterator[SilencingRelay]:
    broker = urlsplit(infra.amqp_url)
    async with SilencingRelay(broker.hostname or "127.0.0.1", broker.port or 5672) as relay:
        yield relay


def consumer_via(url: str, db, rabbit) -> Consumer:
    consumer = Consumer(
        queue=rabbit.queue("seats"),
        uow_factory=db.uow_factory(),
        tables=db.tables,
        amqp_url=url,
        exchange_name=rabbit.exchange,
        queue_type=rabbit.queue_type,
        prefetch=5,
        broker_stop_timeout=BROKER_SILENCE_BOUND,
        parking_check_seconds=None,
    )
    rabbit.track(consumer.topology.queue_names)
    return consumer


async def test_a_consumer_stops_when_the_broker_has_gone_silent(db, infra, rabbit, relay, publisher):
    handled: list[str] = []

    async def count(event: SeatCountedV1, envelope: Envelope, uow) -> None:
        handled.append(event.seat)
        await db.record_effect(uow, event.seat)

    silenced = consumer_via(through(infra.amqp_url, relay.port), db, rabbit)
    silenced.on(SeatCountedV1, count)
    await silenced.start()
    await publisher.publish(Envelope.wrap(SeatCountedV1(seat="A1"), correlation_id="c"))
    await wait_until(lambda: db.effect_count("A1"), message="the first seat counted through the relay")

    relay.silent.set()
    await publisher.publish(Envelope.wrap(SeatCountedV1(seat="A2"), correlation_id="c"))
    # Stopping waits for the broker's cancel-ok and close-ok, which the silence swallows.
    await asyncio.wait_for(silenced.stop(), timeout=STOP_MUST_RETURN_WITHIN)

    # The next consumer gets what the silenced one never received (or never acknowledged) once the
    # broker sees the dead connection go.
    await relay.cut()
    successor = consumer_via(infra.amqp_url, db, rabbit)
    successor.on(SeatCountedV1, count)
    await successor.start()
    try:
        await wait_until(lambda: db.effect_count("A2"), message="the seat sent during the silence counted")
    finally:
        await successor.stop()
    assert sorted(handled) == ["A1", "A2"]
    assert await db.effect_count() == 2

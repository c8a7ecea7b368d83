"""The main exchange, its alternate exchange for unroutable messages, and the tools around them."""

from __future__ import annotations

import asyncio
import sys

import aio_pika
import pytest

from crowdify.contracts.base import Contract
from crowdify.messaging import Consumer, Envelope, Publisher, PublisherUnavailableError
from crowdify.messaging.exchange import declare_exchange, unrouted_name
from crowdify.messaging.unrouted import list_unrouted, republish_unrouted
from crowdify.testing import drain, queue_depth, rabbit_namespace, wait_until

pytestmark = pytest.mark.integration


class SeatMovedV1(Contract):
    name = "test.seat.moved"
    version = 1
    producer = "tests"

    seat: str


class GateOpenedV1(Contract):
    name = "test.gate.opened"
    version = 1
    producer = "tests"

    gate: str


async def ignore(event: Contract, envelope: Envelope, uow: object) -> None:
    return None


async def test_every_declarer_declares_the_same_exchange(db, infra, rabbit, amqp):
    # Publisher, consumer topology and the helpers all go through declare_exchange, in any order.
    channel = await amqp.channel()
    await declare_exchange(channel, rabbit.exchange)
    async with Publisher(infra.amqp_url, rabbit.exchange):
        consumer = Consumer(
            queue=rabbit.queue("declarer"),
            uow_factory=db.uow_factory(),
            tables=db.tables,
            amqp_url=infra.amqp_url,
            exchange_name=rabbit.exchange,
            queue_type=rabbit.queue_type,
        )
        consumer.on(SeatMovedV1, ignore)
        await consumer.start()
        await consumer.stop()
    await declare_exchange(channel, rabbit.exchange)

    # Which is why there must be only one definition: RabbitMQ refuses other arguments.
    with pytest.raises(aio_pika.exceptions.ChannelPreconditionFailed, match="alternate-exchange"):
        await channel.declare_exchange(rabbit.exchange, aio_pika.ExchangeType.TOPIC, durable=True)


async def test_publisher_reports_an_exchange_declared_with_other_arguments(infra, rabbit, amqp):
    # What an exchange created before it had an alternate exchange looks like (runbook).
    channel = await amqp.channel()
    await channel.declare_exchange(rabbit.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    publisher = Publisher(infra.amqp_url, rabbit.exchange)

    with pytest.raises(PublisherUnavailableError, match="alternate-exchange"):
        await publisher.connect()
    assert not publisher.is_connected


async def test_namespace_cleanup_deletes_every_queue_and_exchange(db, infra, amqp):
    async with rabbit_namespace(infra.amqp_url) as inner:
        consumer = Consumer(  # default retry delays: tracked by inner.queue() alone
            queue=inner.queue("tidy"),
            uow_factory=db.uow_factory(),
            tables=db.tables,
            amqp_url=infra.amqp_url,
            exchange_name=inner.exchange,
            queue_type=inner.queue_type,
        )
        consumer.on(SeatMovedV1, ignore)
        await consumer.start()
        await consumer.stop()
        async with Publisher(infra.amqp_url, inner.exchange) as publisher:
            await publisher.publish(Envelope.wrap(GateOpenedV1(gate="g"), correlation_id="c"))
        assert await queue_depth(amqp, inner.unrouted) == 1
        queues = [*consumer.topology.queue_names, inner.unrouted]

    for name in queues:
        channel = await amqp.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.declare_queue(name, passive=True)
    for name in (inner.exchange, inner.unrouted):
        channel = await amqp.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.get_exchange(name, ensure=True)


async def test_unrouted_messages_are_listed_in_place_and_republished_once_bound(infra, rabbit, amqp):
    async with Publisher(infra.amqp_url, rabbit.exchange) as publisher:
        seats = [Envelope.wrap(SeatMovedV1(seat=f"A{n}"), correlation_id=f"order-{n}") for n in range(2)]
        for envelope in seats:
            await publisher.publish(envelope)
        await publisher.publish(Envelope.wrap(GateOpenedV1(gate="g"), correlation_id="c"))
        assert await publisher.unrouted_depth() == 3

    depth, listed = await list_unrouted(infra.amqp_url, rabbit.exchange, limit=2)
    assert depth == 3
    assert [(m.routing_key, m.message_id, m.correlation_id) for m in listed] == [
        ("test.seat.moved.v1", str(seats[0].id), "order-0"),
        ("test.seat.moved.v1", str(seats[1].id), "order-1"),
    ]
    assert await queue_depth(amqp, rabbit.unrouted) == 3  # listing leaves them there

    # The consumer of seats is deployed now; republishing sends the seat events to it and the
    # gate event, still unbound, back to the unrouted queue.
    channel = await amqp.channel()
    exchange = await declare_exchange(channel, rabbit.exchange)
    seat_queue = await channel.declare_queue(rabbit.queue("seats"), durable=True)
    await seat_queue.bind(exchange, routing_key="test.seat.#")

    assert await republish_unrouted(infra.amqp_url, rabbit.exchange) == 3
    received = await drain(seat_queue, 2)
    assert [m.message_id for m in received] == [str(e.id) for e in seats]
    assert [Envelope.from_json(m.body) for m in received] == seats
    await wait_until(lambda: queue_depth(amqp, rabbit.unrouted), message="the gate event back")
    assert await queue_depth(amqp, rabbit.unrouted) == 1


async def test_unrouted_command_lists_the_queue(infra, rabbit):
    async with Publisher(infra.amqp_url, rabbit.exchange) as publisher:
        envelope = Envelope.wrap(SeatMovedV1(seat="B7"), correlation_id="order-9")
        await publisher.publish(envelope)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crowdify.messaging.unrouted",
        "--exchange",
        rabbit.exchange,
        "--amqp-url",
        infra.amqp_url,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    header, line = stdout.decode().strip().splitlines()
    assert header == f"1 message(s) in {unrouted_name(rabbit.exchange)}"
    assert f"test.seat.moved.v1  id={envelope.id}  correlation=order-9" in line

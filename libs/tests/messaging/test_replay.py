"""The operator's replay command moves parked messages back to their consumer's queue."""

from __future__ import annotations

import asyncio
import sys

import aio_pika
import pytest
from prometheus_client import REGISTRY

from crowdify.contracts.base import Contract
from crowdify.messaging import Consumer, Envelope, Publisher
from crowdify.messaging.replay import list_parked, replay_parked
from crowdify.messaging.wire import PARKED_ERROR, PARKED_REASON, RETRY_COUNT
from crowdify.testing import queue_depth, wait_until

pytestmark = pytest.mark.integration


class TicketCountedV1(Contract):
    name = "test.ticket.counted"
    version = 1
    producer = "tests"

    ticket_id: str


def parked_total(queue: str) -> float:
    labels = {"queue": queue, "type": "test.ticket.counted.v1"}
    return REGISTRY.get_sample_value("crowdify_messages_parked_total", labels) or 0.0


@pytest.fixture
async def parked_consumer(db, infra, rabbit):
    """A consumer whose handler fails until ``fixed`` is set, with one message already parked."""
    state = {"fixed": False, "attempts": 0}

    async def handle(event: TicketCountedV1, envelope: Envelope, uow) -> None:
        state["attempts"] += 1
        if not state["fixed"]:
            raise RuntimeError("downstream bug")
        await db.record_effect(uow, event.ticket_id)

    consumer = Consumer(
        queue=rabbit.queue("replayed"),
        uow_factory=db.uow_factory(),
        tables=db.tables,
        amqp_url=infra.amqp_url,
        exchange_name=rabbit.exchange,
        retry_delays=(0.1,),
        queue_type=rabbit.queue_type,
    )
    rabbit.track(consumer.topology.queue_names)
    consumer.on(TicketCountedV1, handle)
    await consumer.start()
    async with Publisher(infra.amqp_url, rabbit.exchange) as publisher:
        for n in range(3):
            await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id=f"p{n}"), correlation_id="c"))
    await wait_until(lambda: parked_total(consumer.queue) == 3, message="three messages parked")
    try:
        yield consumer, state
    finally:
        await consumer.stop()


async def test_replay_command_moves_parked_messages_back_and_they_are_processed(
    db, infra, amqp, parked_consumer
):
    consumer, state = parked_consumer
    state["fixed"] = True
    attempts_before = state["attempts"]

    # --limit first: only one message moves.
    one = await replay_parked(infra.amqp_url, consumer.queue, limit=1)
    assert one == 1
    await wait_until(lambda: db.effect_count(), message="the first replayed message handled")

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crowdify.messaging.replay",
        "--queue",
        consumer.queue,
        "--amqp-url",
        infra.amqp_url,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    assert (
        stdout.decode().strip() == f"replayed 2 message(s) from {consumer.queue}.parking to {consumer.queue}"
    )

    async def all_three_handled() -> bool:
        return await db.effect_count() == 3

    await wait_until(all_three_handled, message="all replayed messages handled")
    # Each replayed message had a fresh retry ladder and succeeded at once.
    assert state["attempts"] == attempts_before + 3
    assert await queue_depth(amqp, consumer.topology.parking_queue) == 0


async def test_parked_messages_are_listed_with_why_they_were_parked_and_left_in_place(
    infra, amqp, parked_consumer
):
    consumer, _ = parked_consumer

    depth, listed = await list_parked(infra.amqp_url, consumer.queue, limit=2)

    assert depth == 3
    assert len(listed) == 2
    assert all(m.type == "test.ticket.counted.v1" for m in listed)
    assert all(m.headers[PARKED_REASON] == "retries-exhausted" for m in listed)
    assert all(m.headers[RETRY_COUNT] == 1 for m in listed)
    assert all(m.headers[PARKED_ERROR] == "RuntimeError: downstream bug" for m in listed)
    assert await queue_depth(amqp, consumer.topology.parking_queue) == 3

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "crowdify.messaging.replay",
        "--queue",
        consumer.queue,
        "--list",
        "--limit",
        "1",
        "--amqp-url",
        infra.amqp_url,
        stdout=asyncio.subprocess.PIPE,
    )
    stdout, _ = await process.communicate()
    assert process.returncode == 0
    lines = stdout.decode().splitlines()
    assert lines[0] == f"3 message(s) in {consumer.queue}.parking"
    assert lines[1].split()[1] == "test.ticket.counted.v1"
    assert "    x-parked-reason: retries-exhausted" in lines
    assert "    x-parked-error: RuntimeError: downstream bug" in lines
    assert await queue_depth(amqp, consumer.topology.parking_queue) == 3


async def test_replay_refuses_a_queue_that_does_not_exist(infra, rabbit):
    with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
        await replay_parked(infra.amqp_url, rabbit.queue("no-such-consumer"))

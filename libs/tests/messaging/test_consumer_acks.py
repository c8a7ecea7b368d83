"""Acknowledgements sent together (crowdify.messaging.acks) on the real RabbitMQ: a batch handled
together is acknowledged with one frame, and a message still in hand is never covered by another
message's acknowledgement nor holds one back."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY

from crowdify.contracts.base import Contract
from crowdify.messaging import Envelope
from crowdify.testing import queue_depth, wait_until

pytestmark = pytest.mark.integration


class SeatCountedV1(Contract):
    name = "test.seat.counted"
    version = 1
    producer = "tests"

    seat: str


def frames(queue: str, kind: str) -> float:
    labels = {"queue": queue, "kind": kind}
    return REGISTRY.get_sample_value("crowdify_message_ack_frames_total", labels) or 0.0


def consumed(queue: str) -> float:
    labels = {"queue": queue, "type": SeatCountedV1.routing_key()}
    return REGISTRY.get_sample_value("crowdify_messages_consumed_total", labels) or 0.0


async def test_a_batch_handled_together_is_acknowledged_with_one_frame(db, make_consumer, publisher, amqp):
    async def count(batch, uow) -> None:
        for event, _ in batch:
            await db.record_effect(uow, event.seat)

    declared = make_consumer("seats", prefetch=30)
    declared.on_batch(SeatCountedV1, count)
    await declared.start()
    await declared.stop()  # the queue exists; a backlog can wait in it
    seats = [f"s{n}" for n in range(30)]
    for seat in seats:
        await publisher.publish(Envelope.wrap(SeatCountedV1(seat=seat), correlation_id="c"))

    consumer = make_consumer("seats", prefetch=30)
    consumer.on_batch(SeatCountedV1, count, max_batch=30)
    await consumer.start()
    await wait_until(lambda: consumed(consumer.queue) == len(seats), message="every seat handled")
    await consumer.stop()

    sent = frames(consumer.queue, "multiple") + frames(consumer.queue, "ack")
    assert frames(consumer.queue, "multiple") >= 1
    assert sent <= 5, f"{sent} frames for {len(seats)} messages"
    # Stopped, the consumer's channel is closed: anything not really acknowledged would be back.
    assert await queue_depth(amqp, consumer.queue) == 0
    assert await db.effect_count() == len(seats)


async def test_a_message_in_hand_is_neither_covered_nor_holding_back_the_others(
    db, make_consumer, publisher, amqp
):
    release = asyncio.Event()

    async def count(event: SeatCountedV1, envelope: Envelope, uow) -> None:
        if event.seat == "slow":
            await release.wait()
        await db.record_effect(uow, event.seat)

    consumer = make_consumer("seats-slow", prefetch=20)
    consumer.on(SeatCountedV1, count)
    await consumer.start()
    await publisher.publish(Envelope.wrap(SeatCountedV1(seat="slow"), correlation_id="c"))
    fast = [f"f{n}" for n in range(10)]
    for seat in fast:
        await publisher.publish(Envelope.wrap(SeatCountedV1(seat=seat), correlation_id="c"))

    # The later messages are acknowledged while the oldest is still being handled...
    await wait_until(lambda: consumed(consumer.queue) == len(fast), message="the fast ones acknowledged")
    # ...and when the process dies now, only the one in hand comes back: no acknowledgement of a
    # later message covered it.
    await consumer.abort()
    release.set()
    # The broker puts a closed channel's deliveries back on their queue in its own time.
    await wait_until(lambda: queue_depth(amqp, consumer.queue), message="the one in hand back in the queue")
    assert await queue_depth(amqp, consumer.queue) == 1
    assert await db.effect_count("slow") == 0

    survivor = make_consumer("seats-slow", prefetch=20)
    survivor.on(SeatCountedV1, count)
    await survivor.start()
    await wait_until(lambda: db.effect_count("slow"), message="the slow one handled again")
    assert await db.effect_count() == len(fast) + 1

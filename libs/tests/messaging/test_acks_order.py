"""The order of acknowledgements (crowdify.messaging.acks) decided frame by frame, for the cases a
broker run cannot produce on demand: a refusal between acknowledgements, a settlement that fails,
a reconnection in the middle, a delivery whose channel closed before its handler started. The
frames are recorded by stand-in deliveries; the broker's own behaviour is tested against RabbitMQ
in test_consumer_acks.py."""

from __future__ import annotations

import asyncio
from typing import Any

from aio_pika.exceptions import ChannelInvalidStateError

from crowdify.messaging.acks import Acknowledgements


class Channel:
    def __init__(self) -> None:
        self.frames: list[tuple[str, int]] = []
        self.is_closed = False
        self.failing = False


class Delivery:
    """What the consumer uses of an aio-pika delivery: its tag, its channel and its settlements."""

    def __init__(self, channel: Channel, tag: int) -> None:
        self._channel = channel
        self.delivery_tag = tag

    @property
    def channel(self) -> Channel:
        if self._channel.is_closed:
            raise ChannelInvalidStateError
        return self._channel

    async def _send(self, frame: str) -> None:
        await asyncio.sleep(0)  # a write can let other tasks run
        if self._channel.is_closed or self._channel.failing:
            raise ConnectionError("channel closed")
        self._channel.frames.append((frame, self.delivery_tag))

    async def ack(self, multiple: bool = False) -> None:
        await self._send("multiple" if multiple else "ack")

    async def nack(self, requeue: bool = True) -> None:
        await self._send("nack")


def deliveries(acks: Acknowledgements, channel: Channel, tags: range) -> list[Any]:
    delivered = [Delivery(channel, tag) for tag in tags]
    for delivery in delivered:
        acks.received(delivery)  # type: ignore[arg-type]
    return delivered


async def test_the_oldest_settled_together_go_in_one_multiple():
    acks, channel = Acknowledgements("q"), Channel()
    first, second, third = deliveries(acks, channel, range(1, 4))

    await asyncio.gather(acks.ack(first), acks.ack(second), acks.ack(third))

    assert channel.frames == [("multiple", 3)]


async def test_an_older_delivery_in_hand_is_never_covered_and_holds_nothing_back():
    acks, channel = Acknowledgements("q"), Channel()
    older, newer, newest = deliveries(acks, channel, range(1, 4))

    await asyncio.gather(acks.ack(newer), acks.ack(newest))
    assert channel.frames == [("ack", 2), ("ack", 3)]

    await acks.ack(older)
    assert channel.frames[-1] == ("ack", 1)


async def test_a_refusal_splits_the_run_and_is_sent_before_anything_covers_it():
    acks, channel = Acknowledgements("q"), Channel()
    one, two, refused, four, five = deliveries(acks, channel, range(1, 6))

    await asyncio.gather(acks.ack(one), acks.ack(two), acks.nack(refused, requeue=True), acks.ack(four))
    await acks.ack(five)

    assert ("multiple", 2) in channel.frames
    refused_at = channel.frames.index(("nack", 3))
    # Nothing sent before the refusal covers it.
    assert not [tag for frame, tag in channel.frames[:refused_at] if frame == "multiple" and tag >= 3]
    assert {tag for _, tag in channel.frames} == {2, 3, 4, 5}


async def test_a_refusal_that_failed_stays_in_hand_and_blocks_every_multiple_past_it():
    acks, channel = Acknowledgements("q"), Channel()
    refused, later, latest = deliveries(acks, channel, range(1, 4))

    channel.failing = True
    await acks.nack(refused, requeue=True)  # logged, not raised
    channel.failing = False
    await asyncio.gather(acks.ack(later), acks.ack(latest))

    assert channel.frames == [("ack", 2), ("ack", 3)]


async def test_a_reconnection_forgets_the_old_channel_and_releases_its_waiters():
    acks, old = Acknowledgements("q"), Channel()
    [stale] = deliveries(acks, old, range(1, 2))
    old.is_closed = True
    new = Channel()
    fresh = deliveries(acks, new, range(1, 3))

    await asyncio.wait_for(acks.ack(stale), 1)  # sent alone, fails, logged
    await asyncio.gather(*(acks.ack(delivery) for delivery in fresh))

    assert old.frames == []
    assert new.frames == [("multiple", 2)]


async def test_a_delivery_whose_channel_closed_before_its_handler_is_not_taken_in_hand():
    acks, channel = Acknowledgements("q"), Channel()
    [kept] = deliveries(acks, channel, range(1, 2))
    channel.is_closed = True
    late = Delivery(channel, 2)

    acks.received(late)  # type: ignore[arg-type]
    await asyncio.wait_for(acks.ack(late), 1)  # type: ignore[arg-type]
    await asyncio.wait_for(acks.ack(kept), 1)

    assert channel.frames == []

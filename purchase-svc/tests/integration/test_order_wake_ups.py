"""Waking the requests that wait for their orders, on the real Redis: a batch of decisions is one
message that wakes every request of the batch and no other, and a per-order message (what a
worker of the previous release sends during a deploy) still wakes its request."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from crowdify.runtime import redis_client
from crowdify.testing import wait_until
from purchase_svc.adapters.order_updates import CHANNEL, CHANNEL_PREFIX, OrderUpdates, announce_many
from purchase_svc.settings import PurchaseSettings

pytestmark = pytest.mark.integration


@pytest.fixture
async def redis(settings: PurchaseSettings) -> AsyncIterator[Redis]:
    client = redis_client(settings)
    yield client
    await client.aclose()


@pytest.fixture
async def updates(redis: Redis) -> AsyncIterator[OrderUpdates]:
    listening = OrderUpdates(redis)
    yield listening
    await listening.aclose()


async def test_one_message_wakes_every_request_of_its_batch_and_no_other(redis, updates):
    batch = [uuid.uuid4() for _ in range(3)]
    other = uuid.uuid4()
    ours = {str(order_id) for order_id in [*batch, other]}
    heard: list[tuple[str, str]] = []  # (channel, data) of the messages about this test's orders
    watcher = redis.pubsub(ignore_subscribe_messages=True)
    await watcher.subscribe(CHANNEL)
    await watcher.psubscribe(f"{CHANNEL_PREFIX}*")

    async def watch() -> None:
        # Other tests and a running platform may share this Redis: only this test's orders count.
        async for message in watcher.listen():
            channel, data = message["channel"].decode(), message["data"].decode()
            if ours & {*data.split(","), channel.removeprefix(CHANNEL_PREFIX)}:
                heard.append((channel, data))

    watching = asyncio.create_task(watch())
    try:
        async with (
            updates.subscribe(batch[0]) as first,
            updates.subscribe(batch[1]) as second,
            updates.subscribe(batch[2]) as third,
            updates.subscribe(other) as elsewhere,
        ):
            await announce_many(redis, batch)
            woken = await asyncio.gather(*(waiter.wait(5) for waiter in (first, second, third)))
            assert woken == [True, True, True]
            assert await elsewhere.wait(0.2) is False
        await wait_until(lambda: len(heard) >= 1, message="the watcher heard the batch")
        assert heard == [(CHANNEL, ",".join(str(order_id) for order_id in batch))]
    finally:
        watching.cancel()
        await watcher.aclose()


async def test_a_per_order_message_still_wakes_its_request(redis, updates):
    order_id = uuid.uuid4()
    async with updates.subscribe(order_id) as waiting:
        await redis.publish(f"{CHANNEL_PREFIX}{order_id}", "updated")
        assert await waiting.wait(5) is True

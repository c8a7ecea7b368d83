"""Telling a waiting ``POST /purchases`` that its order has left ``pending``.

The worker that decides an order publishes its id on a Redis channel right after the decision
commits; the API process that placed the order subscribed to that channel *before* committing the
order, so the answer cannot slip between the commit and the subscription. The message only says
"look again": the waiting request re-reads the order from the database, which stays the truth.
No polling loop: the request sleeps on the subscription until the answer or its ``wait`` runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

CHANNEL_PREFIX = "purchase-svc:order-updated:"


def channel_for(order_id: uuid.UUID) -> str:
    return f"{CHANNEL_PREFIX}{order_id}"


async def announce(redis: Redis, order_id: uuid.UUID) -> None:
    await redis.publish(channel_for(order_id), "updated")


class Subscription:
    def __init__(self, pubsub: object) -> None:
        self._pubsub = pubsub

    async def wait(self, seconds: float) -> bool:
        """True when an update arrived within ``seconds``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            message = await self._pubsub.get_message(  # type: ignore[attr-defined]
                ignore_subscribe_messages=True, timeout=remaining
            )
            if message is not None:
                return True
        return False


@asynccontextmanager
async def subscribe(redis: Redis, order_id: uuid.UUID) -> AsyncIterator[Subscription]:
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(channel_for(order_id))
        yield Subscription(pubsub)
    finally:
        with contextlib.suppress(Exception):
            await pubsub.unsubscribe()
        await pubsub.aclose()  # type: ignore[no-untyped-call]

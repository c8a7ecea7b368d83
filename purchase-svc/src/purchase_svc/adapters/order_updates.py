"""Telling a waiting ``POST /purchases`` that its order has left ``pending``.

The worker that decides a batch of orders publishes their ids in one message on one Redis
channel right after the batch commits: every API process receives one message per batch, not one
per order. Each API process keeps **one** subscription, opened before the first order is placed
and kept open, and wakes the requests waiting for any of those orders:
an order registers its waiter before it is committed, so the answer cannot slip between the
commit and the wait. (A subscription per waiting order cost a Redis connection each, and past the
pool's 100 connections the 101st waiting buyer got a 500.) The message only says "look again":
the waiting request re-reads the order from the database, which stays the truth. No polling:
the request sleeps until the answer or its ``wait`` runs out. Should the subscription drop, it is
opened again; a request whose answer fell into that gap returns ``pending`` when its wait ends,
and the client reads the order again, as it would for a slow decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

# The ids of a batch of orders decided together, separated by commas.
CHANNEL = "purchase-svc:orders-updated"
# A channel per order, which workers before the batch channel published to: still listened to,
# so that during a deploy an API process wakes its requests whichever worker decided them.
CHANNEL_PREFIX = "purchase-svc:order-updated:"
RECONNECT_SECONDS = 1.0
# How long a new waiter lets the subscription come up; with Redis down the order is still placed
# and answered `pending` when its wait ends.
LISTEN_TIMEOUT_SECONDS = 2.0

log = logging.getLogger(__name__)


async def announce_many(redis: Redis, order_ids: Sequence[uuid.UUID]) -> None:
    """Wake the requests waiting for any of ``order_ids`` (a batch of decisions) with one message."""
    if order_ids:
        await redis.publish(CHANNEL, ",".join(str(order_id) for order_id in order_ids))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class Subscription:
    def __init__(self, arrived: asyncio.Event) -> None:
        self._arrived = arrived

    async def wait(self, seconds: float) -> bool:
        """True when an update arrived within ``seconds``."""
        try:
            await asyncio.wait_for(self._arrived.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True


class OrderUpdates:
    """One pattern subscription per process, fanning updates out to the requests waiting."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._listening = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    async def _ensure_listening(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="order-updates")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening.wait(), timeout=LISTEN_TIMEOUT_SECONDS)

    async def _read(self) -> None:
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                self._listening.set()
                async for message in pubsub.listen():
                    kind = message.get("type")
                    if kind == "message":
                        self._wake_all(message["data"])
                    elif kind == "pmessage":
                        self._wake(_text(message["channel"]).removeprefix(CHANNEL_PREFIX))
            except RedisError as error:
                self._listening.clear()
                log.warning("order updates subscription lost; opening it again", extra={"error": repr(error)})
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(RECONNECT_SECONDS)

    def _wake_all(self, order_ids: bytes | str) -> None:
        for order_id in _text(order_ids).split(","):
            self._wake(order_id)

    def _wake(self, order_id: str) -> None:
        for arrived in self._waiters.get(order_id, ()):
            arrived.set()

    @asynccontextmanager
    async def subscribe(self, order_id: uuid.UUID) -> AsyncIterator[Subscription]:
        await self._ensure_listening()
        key, arrived = str(order_id), asyncio.Event()
        self._waiters.setdefault(key, set()).add(arrived)
        try:
            yield Subscription(arrived)
        finally:
            waiting = self._waiters.get(key)
            if waiting is not None:
                waiting.discard(arrived)
                if not waiting:
                    del self._waiters[key]

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

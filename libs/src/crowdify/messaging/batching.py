"""Group commit for a consumer: the messages of one type that are waiting are handled together.

Deliveries join a lane as the broker hands them over (up to the consumer's prefetch). One batch
runs at a time per lane; it takes every delivery waiting when it starts (at most ``max_batch``),
in arrival order, and while it commits the next deliveries queue for the following batch. A
batch never waits for more messages to arrive: one delivery alone is a batch of one, so a quiet
queue keeps the latency of one message at a time and a busy one commits dozens per transaction.

The lane only collects and reports. What a batch does (inbox, handler, commit) and what happens
to the deliveries of a batch that failed (one by one, with the usual retries) is the consumer's.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aio_pika.abc import AbstractIncomingMessage

from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """A parsed message waiting for its batch."""

    message: AbstractIncomingMessage
    envelope: Envelope
    event: Contract


# What a batch reports per delivery: True handled now, False already in the inbox (a duplicate).
BatchRunner = Callable[[Sequence[Delivery]], Awaitable[list[bool]]]


class GroupCommitLane:
    def __init__(self, name: str, run: BatchRunner, *, max_batch: int) -> None:
        if max_batch < 1:
            raise ValueError("a batch holds at least one message")
        self.name = name
        self.max_batch = max_batch
        self._run = run
        self._waiting: list[tuple[Delivery, asyncio.Future[bool | None]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, delivery: Delivery) -> bool | None:
        """Wait for the batch that takes ``delivery``: True if it was handled, False if the inbox
        already had it, None if its batch failed (nothing of that batch was committed)."""
        outcome: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, outcome))
        if self._drainer is None:
            # A fresh context: the batch belongs to no single message's correlation chain.
            self._drainer = asyncio.create_task(
                self._drain(), name=f"group-commit:{self.name}", context=contextvars.Context()
            )
        return await outcome

    async def _drain(self) -> None:
        batch: list[tuple[Delivery, asyncio.Future[bool | None]]] = []
        try:
            while self._waiting:
                # One turn of the loop lets deliveries already read from the socket join; no
                # waiting beyond that.
                await asyncio.sleep(0)
                batch, self._waiting = self._waiting[: self.max_batch], self._waiting[self.max_batch :]
                await self._run_batch(batch)
        finally:
            self._drainer = None
            # Cancelled (the consumer is closing): whoever waits is told nothing was committed.
            for _, outcome in batch + self._waiting:
                if not outcome.done():
                    outcome.cancel()
            self._waiting = []

    async def _run_batch(self, batch: list[tuple[Delivery, asyncio.Future[bool | None]]]) -> None:
        results: Sequence[bool | None]
        try:
            results = await self._run([delivery for delivery, _ in batch])
        except Exception as error:
            log.warning(
                "a batch of %d on %s failed (%s); its messages are handled one by one",
                len(batch),
                self.name,
                error.__class__.__name__,
            )
            results = [None] * len(batch)
        for (_, outcome), result in zip(batch, results, strict=True):
            if not outcome.done():
                outcome.set_result(result)

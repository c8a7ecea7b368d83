"""Group commit: work that arrives while a transaction is committing shares the next one.

Items join a lane as they arrive. One batch runs at a time per lane; it takes every item waiting
when it starts (at most ``max_batch``), in arrival order, and while it commits the next items
queue for the following batch. A batch never waits for more items to arrive: an item alone is a
batch of one, so a quiet lane keeps the latency of one item at a time, and a busy one shares a
round trip and a commit among dozens. (A lane made with ``linger`` is the exception, for work
nobody waits on: a batch that is not full waits that long for more.) The busier the lane, the
larger its batches and the less each item costs, which is what lets a rush be absorbed rather
than queued.

The lane only collects and reports. What a batch does, and what becomes of the items of a batch
that failed, is its owner's: the consumer handles them one message at a time with the usual
retries (``crowdify.messaging.batching``), the door decides each scan alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram

log = logging.getLogger(__name__)

BATCH_ITEMS = Histogram(
    "crowdify_group_commit_batch_items",
    "Items per batch of a group-commit lane (how much a round trip and a commit were shared)",
    ["lane"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
)
BATCHES_FAILED = Counter(
    "crowdify_group_commit_batches_failed_total",
    "Batches that raised, committed nothing and had their items done again one by one",
    ["lane"],
)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommitLane(Generic[Item, Result]):
    def __init__(
        self,
        name: str,
        run: Callable[[Sequence[Item]], Awaitable[list[Result]]],
        *,
        max_batch: int,
        weight: Callable[[Item], int] | None = None,
        linger: float = 0.0,
    ) -> None:
        """``run`` does a batch and returns one result per item, in order. A batch that raises
        committed nothing: its items get None, and their owner does them again, alone.

        ``max_batch`` bounds a batch's items, or with ``weight`` the sum of their weights (an
        item that carries many units of work, such as a message listing many orders, counts as
        many); an item heavier than the bound is a batch of its own.

        ``linger`` (seconds) makes a batch that is not full wait up to that long for more items
        before it starts, and start at once when it fills. Only for work nobody waits on (a read
        model): every item pays the delay. 0, the default, never waits beyond one loop turn."""
        if max_batch < 1:
            raise ValueError("a batch holds at least one item")
        if linger < 0:
            raise ValueError("a lane cannot linger for a negative time")
        self.name = name
        self.max_batch = max_batch
        self.linger = linger
        self._weight = weight
        self._run = run
        self._waiting: list[tuple[Item, asyncio.Future[Result | None]]] = []
        # Only a lingering lane counts what waits: the others never wait for a batch to fill.
        self._filling = _Filling(max_batch, self._weigh) if linger else None
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result | None:
        """Wait for the batch that takes ``item``: its result, or None if the batch failed."""
        outcome: asyncio.Future[Result | None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, outcome))
        if self._filling is not None:
            self._filling.add(item)
        if self._drainer is None:
            # A fresh context: the batch belongs to no single item's request or message.
            self._drainer = asyncio.create_task(
                self._drain(), name=f"group-commit:{self.name}", context=contextvars.Context()
            )
        return await outcome

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result | None]]] = []
        try:
            while self._waiting:
                # One turn of the loop lets items already read from their sockets join; no
                # waiting beyond that, unless the lane lingers.
                await asyncio.sleep(0)
                if self._filling is not None:
                    await self._filling.full(within=self.linger)
                # An item whose caller went away (a request cancelled while it waited) is not
                # done at all, as it would not have been without the lane.
                self._waiting = [(item, outcome) for item, outcome in self._waiting if not outcome.done()]
                taken = self._taken()
                batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
                if self._filling is not None:
                    self._filling.recount(item for item, _ in self._waiting)
                if batch:
                    await self._run_batch(batch)
        finally:
            self._drainer = None
            # Cancelled (the owner is closing): whoever waits is told nothing was committed.
            for _, outcome in batch + self._waiting:
                if not outcome.done():
                    outcome.cancel()
            self._waiting = []
            if self._filling is not None:
                self._filling.recount(())

    def _weigh(self, item: Item) -> int:
        return 1 if self._weight is None else self._weight(item)

    def _taken(self) -> int:
        """How many of the waiting items the next batch takes, in arrival order."""
        if self._weight is None:
            return min(len(self._waiting), self.max_batch)
        taken = total = 0
        for item, _ in self._waiting:
            total += self._weight(item)
            if taken and total > self.max_batch:
                break
            taken += 1
        return taken

    async def _run_batch(self, batch: list[tuple[Item, asyncio.Future[Result | None]]]) -> None:
        results: Sequence[Result | None]
        BATCH_ITEMS.labels(self.name).observe(len(batch))
        try:
            results = await self._run([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"a batch of {len(batch)} gave {len(results)} results")
        except Exception as error:
            BATCHES_FAILED.labels(self.name).inc()
            log.warning(
                "a batch of %d on %s failed (%s); its items are done again one by one",
                len(batch),
                self.name,
                error.__class__.__name__,
            )
            results = [None] * len(batch)
        for (_, outcome), result in zip(batch, results, strict=True):
            if not outcome.done():
                outcome.set_result(result)


class _Filling(Generic[Item]):
    """How much a lingering lane's waiting items weigh, and whether they would fill a batch."""

    def __init__(self, max_batch: int, weigh: Callable[[Item], int]) -> None:
        self._max_batch = max_batch
        self._weigh = weigh
        self._load = 0
        self._filled = asyncio.Event()

    def add(self, item: Item) -> None:
        self._load += self._weigh(item)
        if self._load >= self._max_batch:
            self._filled.set()

    def recount(self, items: Iterable[Item]) -> None:
        """What is left waiting once a batch has taken its share."""
        self._load = sum(self._weigh(item) for item in items)
        if self._load < self._max_batch:
            self._filled.clear()

    async def full(self, *, within: float) -> None:
        """Return once the waiting items fill a batch, or after ``within`` seconds."""
        if not self._filled.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._filled.wait(), within)

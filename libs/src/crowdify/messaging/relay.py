"""The outbox relay: sends the rows the after-commit dispatch could not (crash, broker down).

Run it in each service's worker process; any number of relays may run at once, they split the
rows between them with ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from crowdify.db.uow import UnitOfWorkFactory
from crowdify.messaging.exchange import unrouted_name
from crowdify.messaging.metrics import (
    OUTBOX_OLDEST_UNPUBLISHED_AGE,
    OUTBOX_UNPUBLISHED,
    UNROUTED_QUEUE_DEPTH,
)
from crowdify.messaging.outbox_sending import (
    Backoff,
    exponential_backoff,
    lockable_unpublished,
    send_locked_rows,
)
from crowdify.messaging.publisher import Publisher
from crowdify.messaging.tables import MessagingTables
from crowdify.tasks import pause, survive

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        engine_or_uow_factory: AsyncEngine | UnitOfWorkFactory,
        tables: MessagingTables,
        publisher: Publisher,
        *,
        batch_size: int = 100,
        grace_seconds: float = 5.0,
        backoff: Backoff | None = None,
        unrouted_check_seconds: float = 30.0,
    ) -> None:
        """``grace_seconds``: rows younger than this belong to their unit's after-commit dispatch,
        so in the normal path the relay does not race it (and never double-sends: rows are
        locked either way). ``backoff(attempts)`` is the delay after a failed attempt.
        ``unrouted_check_seconds``: how often the depth of ``<exchange>.unrouted`` is read."""
        self.engine = (
            engine_or_uow_factory.engine
            if isinstance(engine_or_uow_factory, UnitOfWorkFactory)
            else engine_or_uow_factory
        )
        self.tables = tables
        self.publisher = publisher
        self.batch_size = batch_size
        self.grace = timedelta(seconds=grace_seconds)
        self.backoff = backoff or exponential_backoff()
        outbox = tables.outbox
        self.metric_label = f"{outbox.schema}.{outbox.name}" if outbox.schema else outbox.name
        self.unrouted_check_seconds = unrouted_check_seconds
        self._next_unrouted_check = 0.0
        self._unrouted_seen = 0
        self._stopping = asyncio.Event()

    async def run_once(self) -> int:
        """Send one batch of due rows; returns how many the broker confirmed."""
        outbox = self.tables.outbox
        due = (
            lockable_unpublished(outbox)
            .where(outbox.c.next_attempt_at <= func.now(), outbox.c.created_at <= func.now() - self.grace)
            .limit(self.batch_size)
        )
        async with self.engine.connect() as conn, conn.begin():
            rows = (await conn.execute(due)).all()
            result = await send_locked_rows(conn, outbox, rows, self.publisher, backoff=self.backoff)
        if result.published or result.failed:
            log.info("outbox relay: %d published, %d failed", result.published, result.failed)
        await self.update_lag_metrics()
        if time.monotonic() >= self._next_unrouted_check:
            self._next_unrouted_check = time.monotonic() + self.unrouted_check_seconds
            await self.update_unrouted_metric()
        return result.published

    async def update_lag_metrics(self) -> None:
        outbox = self.tables.outbox
        query = select(
            func.count(),
            func.coalesce(func.extract("epoch", func.now() - func.min(outbox.c.created_at)), 0),
        ).where(outbox.c.published_at.is_(None))
        async with self.engine.connect() as conn:
            count, oldest_age = (await conn.execute(query)).one()
        OUTBOX_UNPUBLISHED.labels(outbox=self.metric_label).set(count)
        OUTBOX_OLDEST_UNPUBLISHED_AGE.labels(outbox=self.metric_label).set(float(oldest_age))

    async def update_unrouted_metric(self) -> int | None:
        """Read the depth of ``<exchange>.unrouted``; warn when it grew. None if it cannot be read.

        Unrouted messages were confirmed, so the outbox considers them sent; this is where an
        operator learns that an event type has no consumer bound (yet).
        """
        queue = unrouted_name(self.publisher.exchange_name)
        if not self.publisher.is_connected:
            return None  # the next pass that publishes connects; no extra connection attempts
        try:
            depth = await self.publisher.unrouted_depth()
        except Exception as error:
            log.debug("could not read the depth of %s: %r", queue, error)
            return None
        UNROUTED_QUEUE_DEPTH.labels(queue=queue).set(depth)
        if depth > self._unrouted_seen:
            log.warning(
                "%d message(s) in %s: published with no queue bound to their routing key "
                "(inspect with: python -m crowdify.messaging.unrouted)",
                depth,
                queue,
            )
        self._unrouted_seen = depth
        return depth

    async def run_forever(self, interval: float = 1.0) -> None:
        """Loop until :meth:`stop`: a full batch goes again at once, otherwise wait ``interval``."""
        self._stopping.clear()
        while not self._stopping.is_set():
            # The database (or anything else) failing must not kill the worker: log, wait, and
            # try again; the rows are still there.
            published = await survive(self.run_once(), log, "outbox relay pass failed") or 0
            if published >= self.batch_size:
                continue
            await pause(interval, self._stopping)

    def stop(self) -> None:
        self._stopping.set()

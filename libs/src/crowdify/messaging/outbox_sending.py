"""Sending outbox rows that the caller has locked, shared by the after-commit dispatch and the relay.

Rows are locked with ``FOR UPDATE SKIP LOCKED`` for the whole send, so the dispatch of a fresh
unit and any number of relays never publish the same row at once: whoever holds the lock sends,
the others skip it. A row is marked published only after the broker confirmed it; a crash between
the confirm and the commit sends it again, which the consumers' inbox absorbs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aio_pika.exceptions import DeliveryError, PublishError
from sqlalchemy import Row, Select, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.messaging.wire import describe_error

log = logging.getLogger(__name__)

# Errors that concern one message (the broker nacked it, or returned it as unroutable, which
# with the alternate exchange in place only happens if someone deleted ``<exchange>.unrouted``);
# anything else (connection lost, timeout) concerns them all. Either way each failed row records
# its failure and waits for the relay.
MESSAGE_ERRORS = (DeliveryError, PublishError)

Backoff = Callable[[int], float]


def exponential_backoff(base_seconds: float = 1.0, max_seconds: float = 300.0) -> Backoff:
    def backoff(attempts: int) -> float:
        return float(min(base_seconds * 2 ** max(attempts - 1, 0), max_seconds))

    return backoff


@dataclass
class SendResult:
    published: int = 0
    failed: int = 0


def lockable_unpublished(outbox: Table) -> Select[Any]:
    return (
        select(outbox.c.id, outbox.c.envelope, outbox.c.headers, outbox.c.attempts)
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.created_at, outbox.c.id)
        .with_for_update(skip_locked=True)
    )


async def send_locked_rows(
    conn: AsyncConnection,
    outbox: Table,
    rows: Sequence[Row[Any]],
    publisher: Publisher,
    *,
    backoff: Backoff | None,
) -> SendResult:
    """Publish ``rows`` (already locked in ``conn``'s transaction) and record each outcome.

    The rows go out together: their confirms are awaited at once, not one round trip after
    another, and the published ones are marked with one statement (a batch's decisions cost one
    wait, not one per decision). ``backoff=None`` records a failure without delaying the next
    attempt (the relay's grace period already leaves a fresh row alone for a while).
    """
    outcomes = await asyncio.gather(
        *(publisher.publish(Envelope.model_validate(row.envelope), headers=row.headers) for row in rows),
        return_exceptions=True,
    )
    result = SendResult()
    published: list[Any] = []
    for row, outcome in zip(rows, outcomes, strict=True):
        if outcome is None:
            published.append(row.id)
            continue
        if not isinstance(outcome, Exception):
            raise outcome  # cancelled: the transaction rolls back, the rows stay unpublished
        result.failed += 1
        await _record_failure(conn, outbox, row, outcome, backoff)
        if isinstance(outcome, MESSAGE_ERRORS):
            log.warning("outbox row %s was refused by the broker: %s", row.id, describe_error(outcome))
        else:
            log.warning("outbox publish failed: %s", describe_error(outcome))
    if published:
        await conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(published))
            .values(published_at=func.now(), attempts=outbox.c.attempts + 1)
        )
        result.published = len(published)
    return result


async def _record_failure(
    conn: AsyncConnection, outbox: Table, row: Row[Any], error: Exception, backoff: Backoff | None
) -> None:
    values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": describe_error(error)}
    if backoff is not None:
        delay = timedelta(seconds=backoff(row.attempts + 1))
        values["next_attempt_at"] = func.now() + delay
    await conn.execute(update(outbox).where(outbox.c.id == row.id).values(**values))

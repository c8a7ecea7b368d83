"""The after-commit dispatch: sending the outbox rows a commit has just written, in two round trips.

The rows' envelopes and headers are still in memory (the code that wrote them built them), so
nothing is read back: only their ids go to the database, on the asyncpg connection under a pooled
SQLAlchemy connection (no ORM on the path), in two simple-query round trips:

1. ``BEGIN; SELECT ... FOR UPDATE SKIP LOCKED``: the rows are locked for the whole send, as the
   relay locks the rows it sends, so the dispatch and any number of relays never publish the same
   row at once. The command's status says how many rows it locked; only when that is fewer than
   the ids given (a relay holds some, or already published them after a stall longer than its
   grace period) does a third round trip ask which.
2. the messages are published with their confirms awaited at once;
3. ``UPDATE ... SET published_at = now() ...; COMMIT``: marked only once the broker confirmed.

A message the broker refused, or could not take, records its attempt and error (one more round
trip, before the commit) and stays for the relay. A crash between the confirm and the commit sends
the message again (the relay does), which the consumers' inbox absorbs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from crowdify.messaging.envelope import Envelope
from crowdify.messaging.outbox_sending import MESSAGE_ERRORS, SendResult
from crowdify.messaging.publisher import Publisher
from crowdify.messaging.wire import describe_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    """A row just committed to the outbox, as it was written."""

    envelope: Envelope
    headers: dict[str, Any]


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def outbox_name(engine: AsyncEngine, outbox: Table) -> str:
    """The outbox table's qualified name as the engine sees it (its ``schema_translate_map``
    applied: tests map a service's fixed schema to one of their own)."""
    translate = engine.get_execution_options().get("schema_translate_map") or {}
    schema = translate.get(outbox.schema, outbox.schema)
    return f"{_quoted(schema)}.{_quoted(outbox.name)}" if schema else _quoted(outbox.name)


def _id_array(ids: Sequence[UUID]) -> str:
    # A literal, so the statement can share its round trip with BEGIN or COMMIT (the simple query
    # protocol takes no parameters). UUID objects print only hex digits and dashes.
    return "'{" + ",".join(str(UUID(str(row_id))) for row_id in ids) + "}'::uuid[]"


async def dispatch(
    bind: AsyncEngine | AsyncConnection, outbox: Table, pending: Sequence[Pending], publisher: Publisher
) -> SendResult:
    """Publish the committed rows ``pending`` unless someone else holds or has sent them, on a
    connection of ``bind``'s pool, or on ``bind`` itself when the caller already holds one (out of
    any transaction: the statement that wrote the rows committed on it)."""
    if not pending:
        return SendResult()
    if isinstance(bind, AsyncConnection):
        return await _dispatch_on(bind, outbox, pending, publisher)
    async with bind.connect() as connection:
        return await _dispatch_on(connection, outbox, pending, publisher)


async def _dispatch_on(
    connection: AsyncConnection, outbox: Table, pending: Sequence[Pending], publisher: Publisher
) -> SendResult:
    table = outbox_name(connection.engine, outbox)
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if driver is None or driver.is_in_transaction():
        raise RuntimeError("the pooled connection is closed or inside a transaction")
    try:
        return await _send(driver, table, pending, publisher)
    except BaseException:
        await _abandon(connection, driver)
        raise


async def _send(driver: Any, table: str, pending: Sequence[Pending], publisher: Publisher) -> SendResult:
    ids = [row.envelope.id for row in pending]
    status = await driver.execute(
        f"BEGIN; SELECT 1 FROM {table} WHERE id = ANY({_id_array(ids)}) "
        "AND published_at IS NULL FOR UPDATE SKIP LOCKED"
    )
    if int(status.rsplit(" ", 1)[-1]) < len(ids):
        # Some are a relay's (locked, or sent already): ask which are ours. Rows this transaction
        # already locked are locked again without waiting.
        locked = await driver.fetch(
            f"SELECT id FROM {table} WHERE id = ANY($1::uuid[]) AND published_at IS NULL "
            "FOR UPDATE SKIP LOCKED",
            ids,
        )
        ours = {row["id"] for row in locked}
        pending = [row for row in pending if row.envelope.id in ours]
    outcomes = await asyncio.gather(
        *(publisher.publish(row.envelope, headers=row.headers) for row in pending), return_exceptions=True
    )
    published: list[UUID] = []
    failed: list[tuple[UUID, str]] = []
    for row, outcome in zip(pending, outcomes, strict=True):
        if outcome is None:
            published.append(row.envelope.id)
        elif not isinstance(outcome, Exception):
            raise outcome  # cancelled: the transaction rolls back, the rows stay unpublished
        else:
            failed.append((row.envelope.id, describe_error(outcome)))
            if isinstance(outcome, MESSAGE_ERRORS):
                log.warning("outbox row %s was refused by the broker: %s", row.envelope.id, failed[-1][1])
            else:
                log.warning("outbox publish failed: %s", failed[-1][1])
    if failed:
        # No backoff: a fresh row is left alone by the relay for its grace period anyway.
        await driver.execute(
            f"UPDATE {table} AS o SET attempts = o.attempts + 1, last_error = f.error "
            "FROM unnest($1::uuid[], $2::text[]) AS f(id, error) WHERE o.id = f.id",
            [row_id for row_id, _ in failed],
            [error for _, error in failed],
        )
    if published:
        await driver.execute(
            f"UPDATE {table} SET published_at = now(), attempts = attempts + 1 "
            f"WHERE id = ANY({_id_array(published)}); COMMIT"
        )
    else:
        await driver.execute("COMMIT")
    return SendResult(published=len(published), failed=len(failed))


async def _abandon(connection: AsyncConnection, driver: Any) -> None:
    """Leave no transaction open on a connection that goes back to the pool: SQLAlchemy's reset
    does not know of one begun on the driver. A connection that cannot be rolled back is thrown
    away."""
    try:
        if not driver.is_closed() and driver.is_in_transaction():
            await driver.execute("ROLLBACK")
    except BaseException as error:
        log.warning("outbox dispatch not rolled back (%s): connection discarded", describe_error(error))
        await connection.invalidate()

"""The statements of a batch of hold decisions and of an expiry sweep, on asyncpg directly.

They run on the connection under the unit of work's transaction (``UnitOfWork.driver_connection``),
so they commit with the batch's inbox and outbox rows. asyncpg prepares each query text once per
connection; arrays (``unnest``) carry a whole batch, so a statement costs one round trip however
many orders it decides. Counter updates keep the conditional ``WHERE`` of ``counters.py``, and the
``within_capacity`` CHECK constraints stay the last fence.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

# Rows of both kinds are locked in id order, events first: every writer of a ticket type's
# counters locks its event's row first, so batches, sweeps and single orders cannot deadlock.
LOCK_EVENTS = """
SELECT id, status, name, venue, starts_at, ends_at, sales_start, sales_end, hold_minutes,
       max_held_per_buyer, capacity, sold, held
FROM events WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
"""

LOCK_TYPES = """
SELECT id, event_id, name, price, currency, capacity, sold, held, max_per_order, sales_start, sales_end
FROM ticket_types WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE
"""

DECIDED = "SELECT order_id, status FROM holds WHERE order_id = ANY($1::uuid[])"

# The same keys as a single order's cap check (inventory), taken in sorted order.
LOCK_BUYERS = """
SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
FROM (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AS keys
"""

LIVE_HELD_BY_BUYER = """
SELECT h.event_id, h.buyer_id, sum(l.quantity)::int AS quantity
FROM holds h JOIN hold_lines l ON l.order_id = h.order_id
JOIN unnest($1::uuid[], $2::text[]) AS b(event_id, buyer_id)
  ON h.event_id = b.event_id AND h.buyer_id = b.buyer_id
WHERE h.status = 'held' AND h.hold_expires_at > $3
GROUP BY h.event_id, h.buyer_id
"""

ADD_HELD_TO_EVENTS = """
UPDATE events e SET held = e.held + d.n
FROM unnest($1::uuid[], $2::int[]) AS d(id, n)
WHERE e.id = d.id AND (e.capacity IS NULL OR e.capacity - e.sold - e.held >= d.n)
"""

ADD_HELD_TO_TYPES = """
UPDATE ticket_types t SET held = t.held + d.n
FROM unnest($1::uuid[], $2::int[]) AS d(id, n)
WHERE t.id = d.id AND t.capacity - t.sold - t.held >= d.n
"""

GIVE_BACK_HELD_TO_EVENTS = """
UPDATE events e SET held = e.held - d.n FROM unnest($1::uuid[], $2::int[]) AS d(id, n) WHERE e.id = d.id
"""

GIVE_BACK_HELD_TO_TYPES = """
UPDATE ticket_types t SET held = t.held - d.n FROM unnest($1::uuid[], $2::int[]) AS d(id, n) WHERE t.id = d.id
"""

INSERT_HOLDS = """
INSERT INTO holds (order_id, event_id, buyer_id, status, reason, hold_expires_at)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
"""

INSERT_HOLD_LINES = """
INSERT INTO hold_lines (order_id, ticket_type_id, quantity, unit_price)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[])
"""

DUE_HOLDS = """
SELECT order_id, event_id FROM holds
WHERE status = 'held' AND hold_expires_at <= now()
ORDER BY hold_expires_at, order_id LIMIT $1 FOR UPDATE SKIP LOCKED
"""

# By event first: the live holds of an event are a short walk of ix_holds_live_by_buyer, where
# hold_lines has no index by ticket type.
DUE_HOLDS_OF_TYPES = """
SELECT order_id, event_id FROM holds
WHERE event_id = ANY($2::uuid[]) AND status = 'held' AND hold_expires_at <= now()
  AND order_id IN (SELECT order_id FROM hold_lines WHERE ticket_type_id = ANY($1::uuid[]))
ORDER BY hold_expires_at, order_id FOR UPDATE SKIP LOCKED
"""

LIVE_LINES = """
SELECT order_id, ticket_type_id, quantity - refunded AS quantity FROM hold_lines
WHERE order_id = ANY($1::uuid[]) AND quantity > refunded ORDER BY order_id, ticket_type_id
"""

LOCK_EVENT_ROWS = "SELECT id FROM events WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE"

SET_EXPIRED = """
UPDATE holds SET status = 'expired', updated_at = now() WHERE order_id = ANY($1::uuid[])
"""


class CountersMoved(Exception):
    """A conditional counter update changed fewer rows than the batch planned: the rows were
    locked, so this is a bug; the batch rolls back and its orders are decided one by one."""


def rows_changed(status: str) -> int:
    """The row count of a command tag such as ``UPDATE 3``."""
    return int(status.rsplit(" ", 1)[-1])


async def add_held(db: Any, per_event: Mapping[uuid.UUID, int], per_type: Mapping[uuid.UUID, int]) -> None:
    """One conditional update for the events and one for the ticket types of a batch."""
    for statement, amounts in ((ADD_HELD_TO_EVENTS, per_event), (ADD_HELD_TO_TYPES, per_type)):
        if not amounts:
            continue
        ids = sorted(amounts)
        changed = rows_changed(await db.execute(statement, ids, [amounts[i] for i in ids]))
        if changed != len(ids):
            raise CountersMoved(f"{changed} of {len(ids)} rows had the room the batch counted on")


async def give_back_held(
    db: Any, per_event: Mapping[uuid.UUID, int], per_type: Mapping[uuid.UUID, int]
) -> None:
    if len(per_event) > 1:
        await db.execute(LOCK_EVENT_ROWS, sorted(per_event))
    for statement, amounts in ((GIVE_BACK_HELD_TO_EVENTS, per_event), (GIVE_BACK_HELD_TO_TYPES, per_type)):
        if amounts:
            ids = sorted(amounts)
            await db.execute(statement, ids, [amounts[i] for i in ids])


async def insert_holds(
    db: Any, rows: Sequence[tuple[uuid.UUID, uuid.UUID, str | None, str, str | None, datetime | None]]
) -> None:
    if rows:
        await db.execute(INSERT_HOLDS, *(list(column) for column in zip(*rows, strict=True)))


async def insert_hold_lines(db: Any, rows: Sequence[tuple[uuid.UUID, uuid.UUID, int, int]]) -> None:
    if rows:
        await db.execute(INSERT_HOLD_LINES, *(list(column) for column in zip(*rows, strict=True)))

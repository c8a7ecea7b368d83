"""The calls that decide a batch of holds and that sweep expired holds, on asyncpg directly.

The SQL functions ``decide_holds`` and ``expire_due_holds`` (migration 0004) do the work inside
PostgreSQL, one round trip each however many orders or holds they take (ADR 0018). They run on
the connection under the unit of work's transaction (``UnitOfWork.driver_connection``), so they
commit with the batch's inbox and outbox rows; asyncpg prepares each query text once per
connection. Counter updates keep the conditional ``WHERE`` of ``counters.py``, and the
``within_capacity`` CHECK constraints stay the last fence.
"""

from __future__ import annotations

from typing import Any

import asyncpg

# Arrays in: the batch in arrival order, one element per order, its lines flattened. Rows out:
# the holds expired to make room (kind ``expired``), then one per order (kind ``order``).
DECIDE_HOLDS = "SELECT * FROM decide_holds($1, $2, $3, $4, $5, $6, $7)"

# The oldest due holds of any event, at most $1.
EXPIRE_DUE_HOLDS = "SELECT * FROM expire_due_holds($1, NULL, NULL)"

# Raised by ``decide_holds`` when a conditional counter update changed fewer rows than planned.
_COUNTERS_MOVED = "CDH01"


class CountersMoved(Exception):
    """A conditional counter update changed fewer rows than the batch planned: the rows were
    locked, so this is a bug; the batch rolls back and its orders are decided one by one."""


async def decide_holds(db: Any, *arguments: Any) -> list[Any]:
    try:
        rows: list[Any] = await db.fetch(DECIDE_HOLDS, *arguments)
    except asyncpg.PostgresError as error:
        if error.sqlstate == _COUNTERS_MOVED:
            raise CountersMoved(str(error)) from error
        raise
    return rows


async def expire_due_holds(db: Any, limit: int) -> list[Any]:
    rows: list[Any] = await db.fetch(EXPIRE_DUE_HOLDS, limit)
    return rows

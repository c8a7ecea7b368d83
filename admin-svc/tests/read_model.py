"""The read model's rows about one event, to compare two ways of building it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from admin_svc.adapters.tables import READ_MODEL_TABLES, order_lines, orders


async def read_model(
    db: AsyncSession | AsyncConnection, event_id: uuid.UUID
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the read model about the event, table by table, in a stable order."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for table in READ_MODEL_TABLES:
        if table is order_lines:
            query = order_lines.select().where(
                order_lines.c.order_id.in_(select(orders.c.order_id).where(orders.c.event_id == event_id))
            )
        else:
            query = table.select().where(table.c.event_id == event_id)
        rows[table.name] = sorted(tuple(row) for row in (await db.execute(query)).all())
    return rows

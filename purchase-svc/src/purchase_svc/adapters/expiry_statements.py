"""Expired holds applied to a batch of orders in one statement, on the asyncpg connection under the
consumer's unit of work (they commit with the batch's inbox and outbox rows).

The orders still awaiting payment are locked in id order (two workers expiring overlapping
batches never wait on each other in a cycle), moved to ``expired``, and returned with what their
``purchase.order.expired`` message says: lines, totals, the buyer's contact and the event's name
and date from the catalogue replica. An order paid, cancelled or already expired meanwhile is
not moved and not returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from crowdify.db import UnitOfWork
from purchase_svc.settings import SCHEMA

_EXPIRE = f"""
WITH locked AS (
    SELECT id FROM {SCHEMA}.orders WHERE id = ANY($1::uuid[]) AND status = $3 ORDER BY id FOR UPDATE
), moved AS (
    UPDATE {SCHEMA}.orders o SET status = $2, updated_at = now()
    FROM locked WHERE o.id = locked.id
    RETURNING o.id, o.event_id, o.total, o.currency, o.buyer_email, o.buyer_name, o.user_id
)
SELECT m.*,
       c.snapshot ->> 'name' AS event_name,
       c.snapshot ->> 'starts_at' AS event_starts_at,
       lines.ticket_type_ids,
       lines.quantities
FROM moved m
LEFT JOIN {SCHEMA}.catalog_events c ON c.id = m.event_id
CROSS JOIN LATERAL (
    SELECT array_agg(i.ticket_type_id ORDER BY i.ticket_type_id) AS ticket_type_ids,
           array_agg(i.quantity ORDER BY i.ticket_type_id) AS quantities
    FROM {SCHEMA}.order_items i WHERE i.order_id = m.id
) lines
"""


async def expire(
    uow: UnitOfWork, order_ids: Sequence[uuid.UUID], *, from_status: str, to_status: str
) -> list[Any]:
    """Move the orders of ``order_ids`` still in ``from_status``; one row per order moved."""
    connection = await uow.driver_connection()
    rows: list[Any] = await connection.fetch(_EXPIRE, list(order_ids), to_status, from_status)
    return rows

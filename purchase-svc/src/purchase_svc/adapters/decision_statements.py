"""event-svc's decisions applied to a batch of orders, one statement per batch, on the asyncpg
connection under the consumer's unit of work (they commit with the batch's inbox rows).

Each statement moves only the orders still in ``from_status`` and returns the ids it moved: a
redelivered decision, or one for an order the buyer cancelled meanwhile, changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from crowdify.db import UnitOfWork
from purchase_svc.settings import SCHEMA

_REJECT = f"""
UPDATE {SCHEMA}.orders o SET status = $3, reason = d.reason, updated_at = now()
FROM unnest($1::uuid[], $2::text[]) AS d(order_id, reason)
WHERE o.id = d.order_id AND o.status = $4
RETURNING o.id
"""

_RESERVE = f"""
WITH moved AS (
    UPDATE {SCHEMA}.orders o
    SET status = $7, total = d.total, currency = d.currency, hold_expires_at = d.hold_expires_at,
        payment_link = d.payment_link, preference_id = d.preference_id, updated_at = now()
    FROM unnest($1::uuid[], $2::int[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
        AS d(order_id, total, currency, hold_expires_at, payment_link, preference_id)
    WHERE o.id = d.order_id AND o.status = $8
    RETURNING o.id
), priced AS (
    UPDATE {SCHEMA}.order_items i SET unit_price = l.unit_price, ticket_type_name = l.ticket_type_name
    FROM unnest($9::uuid[], $10::uuid[], $11::int[], $12::text[])
        AS l(order_id, ticket_type_id, unit_price, ticket_type_name)
    WHERE i.order_id = l.order_id AND i.ticket_type_id = l.ticket_type_id
      AND l.order_id IN (SELECT id FROM moved)
)
SELECT id FROM moved
"""

_STATUSES = f"SELECT id, status FROM {SCHEMA}.orders WHERE id = ANY($1::uuid[])"


@dataclass(frozen=True)
class Reserved:
    """An order held by event-svc, with its payment link."""

    order_id: uuid.UUID
    total: int
    currency: str
    hold_expires_at: datetime
    payment_link: str
    preference_id: str
    # (ticket type, unit price, ticket type's name) per line
    lines: Sequence[tuple[uuid.UUID, int, str]]


async def statuses(uow: UnitOfWork, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The orders' statuses, read without a lock."""
    connection = await uow.driver_connection()
    return {row["id"]: row["status"] for row in await connection.fetch(_STATUSES, list(order_ids))}


async def reject(
    uow: UnitOfWork, rejected: Sequence[tuple[uuid.UUID, str]], *, from_status: str, to_status: str
) -> list[uuid.UUID]:
    connection = await uow.driver_connection()
    order_ids = [order_id for order_id, _ in rejected]
    reasons = [reason for _, reason in rejected]
    rows = await connection.fetch(_REJECT, order_ids, reasons, to_status, from_status)
    return [row["id"] for row in rows]


async def reserve(
    uow: UnitOfWork, reserved: Sequence[Reserved], *, from_status: str, to_status: str
) -> list[uuid.UUID]:
    lines = [(r.order_id, *line) for r in reserved for line in r.lines]
    connection = await uow.driver_connection()
    rows = await connection.fetch(
        _RESERVE,
        [r.order_id for r in reserved],
        [r.total for r in reserved],
        [r.currency for r in reserved],
        [r.hold_expires_at for r in reserved],
        [r.payment_link for r in reserved],
        [r.preference_id for r in reserved],
        to_status,
        from_status,
        [line[0] for line in lines],
        [line[1] for line in lines],
        [line[2] for line in lines],
        [line[3] for line in lines],
    )
    return [row["id"] for row in rows]

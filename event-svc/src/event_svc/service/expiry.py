"""Unpaid holds past their expiry go back on sale, announced with ``catalog.hold.expired``.

A sweep is a batch: the due holds are locked with one statement (SKIP LOCKED: several workers,
and orders looking for room, may expire at once without waiting on each other), their lines read
with one, the counters given back with one update of the events and one of the ticket types, the
holds marked with one, and the announcements written to the outbox with one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from crowdify.contracts.catalog import HoldExpiredV1
from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox, Outgoing
from event_svc.adapters import hold_statements as sql


async def sweep_expired_holds(uow: UnitOfWork, outbox: Outbox, *, batch_size: int = 200) -> int:
    """The worker's periodic sweep: at most ``batch_size`` holds per transaction."""
    db = await uow.driver_connection()
    return await _expire(uow, outbox, await db.fetch(sql.DUE_HOLDS, batch_size))


async def expire_due_holds_of_types(
    uow: UnitOfWork, outbox: Outbox, type_ids: Sequence[uuid.UUID], event_ids: Sequence[uuid.UUID]
) -> int:
    """Release holds of these ticket types (of these events) that are past their expiry but not
    yet swept.

    Called when an order finds no room, so a buyer is never told ``sold_out`` while expired holds
    still count against capacity.
    """
    db = await uow.driver_connection()
    return await _expire(uow, outbox, await db.fetch(sql.DUE_HOLDS_OF_TYPES, list(type_ids), list(event_ids)))


async def _expire(uow: UnitOfWork, outbox: Outbox, due: Sequence[tuple[uuid.UUID, uuid.UUID]]) -> int:
    """Give back the seats of the locked holds ``due`` (order id, event id) and announce it."""
    if not due:
        return 0
    db = await uow.driver_connection()
    event_of = {order_id: event_id for order_id, event_id in due}
    lines: dict[uuid.UUID, list[OrderLine]] = {order_id: [] for order_id in event_of}
    per_event: dict[uuid.UUID, int] = {}
    per_type: dict[uuid.UUID, int] = {}
    for order_id, type_id, quantity in await db.fetch(sql.LIVE_LINES, list(event_of)):
        lines[order_id].append(OrderLine(ticket_type_id=type_id, quantity=quantity))
        per_event[event_of[order_id]] = per_event.get(event_of[order_id], 0) + quantity
        per_type[type_id] = per_type.get(type_id, 0) + quantity
    await sql.give_back_held(db, per_event, per_type)
    await db.execute(sql.SET_EXPIRED, list(event_of))
    expired_at = datetime.now(UTC)
    await outbox.add_many(
        uow,
        [
            Outgoing(
                HoldExpiredV1(
                    order_id=order_id, event_id=event_id, expired_at=expired_at, lines=tuple(lines[order_id])
                ),
                correlation_id=str(order_id),
            )
            for order_id, event_id in due
        ],
    )
    return len(due)

"""Unpaid holds past their expiry go back on sale, announced with ``catalog.hold.expired``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, func, select

from crowdify.contracts.catalog import HoldExpiredV1
from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox
from event_svc.adapters.tables import hold_lines, holds
from event_svc.service.counters import give_back, hold_lines_of, set_status


async def _expire_due(
    uow: UnitOfWork, outbox: Outbox, *, only: ColumnElement[bool] | None = None, limit: int | None = None
) -> int:
    """Expire live holds past their time (``only`` narrows them). SKIP LOCKED: several workers,
    and orders looking for room, may expire at once without waiting on each other."""
    query = select(holds.c.order_id, holds.c.event_id).where(
        holds.c.status == "held", holds.c.hold_expires_at <= func.now()
    )
    if only is not None:
        query = query.where(only)
    query = query.order_by(holds.c.hold_expires_at, holds.c.order_id).limit(limit)
    due = (await uow.session.execute(query.with_for_update(skip_locked=True))).all()
    # Give seats back event by event in id order: two sweepers (or a sweep and an order) then
    # lock event rows in the same order and cannot deadlock.
    for order_id, _event_id in sorted(due, key=lambda row: (row.event_id, row.order_id)):
        await _expire_locked_hold(uow, outbox, order_id)
    return len(due)


async def sweep_expired_holds(uow: UnitOfWork, outbox: Outbox, *, batch_size: int = 200) -> int:
    """The worker's periodic sweep."""
    return await _expire_due(uow, outbox, limit=batch_size)


async def expire_due_holds_of_types(uow: UnitOfWork, outbox: Outbox, type_ids: Sequence[uuid.UUID]) -> int:
    """Release holds of these ticket types that are past their expiry but not yet swept.

    Called when an order finds no room, so a buyer is never told ``sold_out`` while expired holds
    still count against capacity.
    """
    of_types = holds.c.order_id.in_(
        select(hold_lines.c.order_id).where(hold_lines.c.ticket_type_id.in_(type_ids))
    )
    return await _expire_due(uow, outbox, only=of_types)


async def _expire_locked_hold(uow: UnitOfWork, outbox: Outbox, order_id: uuid.UUID) -> None:
    hold = (await uow.session.execute(select(holds).where(holds.c.order_id == order_id))).mappings().one()
    lines = await hold_lines_of(uow, order_id)
    await give_back(uow, hold["event_id"], lines, "held")
    await set_status(uow, order_id, "expired")
    await outbox.add(
        uow,
        HoldExpiredV1(
            order_id=order_id,
            event_id=hold["event_id"],
            expired_at=datetime.now(UTC),
            lines=tuple(OrderLine(ticket_type_id=ln.ticket_type_id, quantity=ln.quantity) for ln in lines),
        ),
        correlation_id=str(order_id),
    )

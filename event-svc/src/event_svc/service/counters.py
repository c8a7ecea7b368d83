"""The counters a hold moves, and the hold rows themselves: the only code that writes them.

Every change is a conditional ``UPDATE ... WHERE capacity - sold - held >= n``: PostgreSQL
re-evaluates the condition on the latest row version after waiting for a concurrent writer, so
however many consumers race for the last ticket the counters never pass capacity (and a CHECK
constraint would refuse the commit if they did). The event row is updated first, so transactions
on one event queue on one row and cannot deadlock on their ticket types.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping

from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWork
from event_svc.adapters.tables import events, hold_lines, holds, ticket_types


@dataclass(frozen=True)
class Line:
    """Tickets of one type in a hold."""

    ticket_type_id: uuid.UUID
    quantity: int


def merge(lines: Sequence[OrderLine]) -> list[Line]:
    """One line per ticket type, sorted by id so concurrent orders lock rows in one order."""
    totals: dict[uuid.UUID, int] = {}
    for line in lines:
        totals[line.ticket_type_id] = totals.get(line.ticket_type_id, 0) + line.quantity
    return [Line(tid, qty) for tid, qty in sorted(totals.items())]


async def take(uow: UnitOfWork, event_id: uuid.UUID, lines: list[Line], column: str) -> bool:
    """Add the lines to ``held`` or ``sold`` if there is room for all of them; else change nothing.

    Runs inside a SAVEPOINT so a partial take (room for the first type, not the second) is undone.
    """
    total = sum(line.quantity for line in lines)
    async with uow.session.begin_nested() as savepoint:
        event_room = await uow.session.execute(
            update(events)
            .where(
                events.c.id == event_id,
                (events.c.capacity.is_(None)) | (events.c.capacity - events.c.sold - events.c.held >= total),
            )
            .values({column: events.c[column] + total})
            .returning(events.c.id)
        )
        if event_room.first() is None:
            await savepoint.rollback()
            return False
        for line in lines:
            type_room = await uow.session.execute(
                update(ticket_types)
                .where(
                    ticket_types.c.id == line.ticket_type_id,
                    ticket_types.c.capacity - ticket_types.c.sold - ticket_types.c.held >= line.quantity,
                )
                .values({column: ticket_types.c[column] + line.quantity})
                .returning(ticket_types.c.id)
            )
            if type_room.first() is None:
                await savepoint.rollback()
                return False
    return True


async def give_back(uow: UnitOfWork, event_id: uuid.UUID, lines: Sequence[Line], column: str) -> None:
    total = sum(line.quantity for line in lines)
    await uow.session.execute(
        update(events).where(events.c.id == event_id).values({column: events.c[column] - total})
    )
    for line in sorted(lines, key=lambda ln: ln.ticket_type_id):
        await uow.session.execute(
            update(ticket_types)
            .where(ticket_types.c.id == line.ticket_type_id)
            .values({column: ticket_types.c[column] - line.quantity})
        )


async def hold_lines_of(uow: UnitOfWork, order_id: uuid.UUID) -> list[Line]:
    rows = (
        await uow.session.execute(
            select(hold_lines.c.ticket_type_id, hold_lines.c.quantity, hold_lines.c.refunded)
            .where(hold_lines.c.order_id == order_id)
            .order_by(hold_lines.c.ticket_type_id)
        )
    ).all()
    return [Line(r.ticket_type_id, r.quantity - r.refunded) for r in rows if r.quantity > r.refunded]


async def lock_hold(uow: UnitOfWork, order_id: uuid.UUID) -> RowMapping | None:
    query = select(holds).where(holds.c.order_id == order_id).with_for_update()
    return (await uow.session.execute(query)).mappings().first()


async def set_status(uow: UnitOfWork, order_id: uuid.UUID, status: str) -> None:
    await uow.session.execute(
        update(holds).where(holds.c.order_id == order_id).values(status=status, updated_at=func.now())
    )

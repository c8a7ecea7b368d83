"""Inventory: holding, selling and giving back tickets, decided one order at a time.

Every decision is one short transaction on the event's rows. A reservation is a conditional
``UPDATE ... SET held = held + n WHERE capacity - sold - held >= n``: PostgreSQL re-evaluates the
condition on the latest row version after waiting for a concurrent writer, so however many
consumers race for the last ticket, the counters never pass capacity (and a CHECK constraint
would refuse the commit if they did). The event row is updated first, so transactions on one
event queue on one row and cannot deadlock on their ticket types.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping

from crowdify.contracts.catalog import (
    HoldExpiredV1,
    RejectionReason,
    ReservationRejectedV1,
    SaleConfirmedV1,
    SaleRefusedV1,
    TicketsReservedV1,
)
from crowdify.contracts.common import OrderLine, PricedLine
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox
from event_svc.adapters.tables import applied_refunds, events, hold_lines, holds, ticket_types


class _Refused(Exception):
    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(detail)
        self.reason: RejectionReason = reason
        self.detail = detail


@dataclass(frozen=True)
class Line:
    ticket_type_id: uuid.UUID
    quantity: int


def _merge(lines: Sequence[OrderLine]) -> list[Line]:
    """One line per ticket type, sorted by id so concurrent orders lock rows in one order."""
    totals: dict[uuid.UUID, int] = {}
    for line in lines:
        totals[line.ticket_type_id] = totals.get(line.ticket_type_id, 0) + line.quantity
    return [Line(tid, qty) for tid, qty in sorted(totals.items())]


def _in_window(now: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= now) and (end is None or now < end)


async def _check_orderable(
    uow: UnitOfWork, event_id: uuid.UUID, lines: list[Line], now: datetime
) -> tuple[RowMapping, dict[uuid.UUID, RowMapping]]:
    event = (await uow.session.execute(select(events).where(events.c.id == event_id))).mappings().first()
    if event is None or event["status"] != "published":
        raise _Refused("event_unavailable", "the event is not on sale")
    if (event["ends_at"] or event["starts_at"]) <= now:
        raise _Refused("event_unavailable", "the event is over")
    type_rows = (
        (
            await uow.session.execute(
                select(ticket_types).where(
                    ticket_types.c.event_id == event_id,
                    ticket_types.c.id.in_([line.ticket_type_id for line in lines]),
                )
            )
        )
        .mappings()
        .all()
    )
    types = {t["id"]: t for t in type_rows}
    if len(types) != len(lines):
        raise _Refused("event_unavailable", "a ticket type does not belong to this event")
    if not _in_window(now, event["sales_start"], event["sales_end"]):
        raise _Refused("sales_closed", "sales for this event are closed")
    for line in lines:
        t = types[line.ticket_type_id]
        if not _in_window(now, t["sales_start"], t["sales_end"]):
            raise _Refused("sales_closed", f"sales of {t['name']} are closed")
        if line.quantity > t["max_per_order"]:
            raise _Refused("limit_exceeded", f"at most {t['max_per_order']} of {t['name']} per order")
    return event, types


async def _take(uow: UnitOfWork, event_id: uuid.UUID, lines: list[Line], column: str) -> bool:
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


async def _give_back(uow: UnitOfWork, event_id: uuid.UUID, lines: Sequence[Line], column: str) -> None:
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


async def _hold_lines(uow: UnitOfWork, order_id: uuid.UUID) -> list[Line]:
    rows = (
        await uow.session.execute(
            select(hold_lines.c.ticket_type_id, hold_lines.c.quantity, hold_lines.c.refunded)
            .where(hold_lines.c.order_id == order_id)
            .order_by(hold_lines.c.ticket_type_id)
        )
    ).all()
    return [Line(r.ticket_type_id, r.quantity - r.refunded) for r in rows if r.quantity > r.refunded]


async def _lock_hold(uow: UnitOfWork, order_id: uuid.UUID) -> RowMapping | None:
    query = select(holds).where(holds.c.order_id == order_id).with_for_update()
    return (await uow.session.execute(query)).mappings().first()


async def _set_status(uow: UnitOfWork, order_id: uuid.UUID, status: str) -> None:
    await uow.session.execute(
        update(holds).where(holds.c.order_id == order_id).values(status=status, updated_at=func.now())
    )


async def expire_due_holds_of_types(uow: UnitOfWork, outbox: Outbox, type_ids: Sequence[uuid.UUID]) -> int:
    """Release holds of these ticket types that are past their expiry but not yet swept.

    Called when an order finds no room, so a buyer is never told ``sold_out`` while expired holds
    still count against capacity.
    """
    due = (
        (
            await uow.session.execute(
                select(holds.c.order_id)
                .where(
                    holds.c.status == "held",
                    holds.c.hold_expires_at <= func.now(),
                    holds.c.order_id.in_(
                        select(hold_lines.c.order_id).where(hold_lines.c.ticket_type_id.in_(type_ids))
                    ),
                )
                .order_by(holds.c.order_id)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for order_id in due:
        await _expire_locked_hold(uow, outbox, order_id)
    return len(due)


async def _expire_locked_hold(uow: UnitOfWork, outbox: Outbox, order_id: uuid.UUID) -> None:
    hold = (await uow.session.execute(select(holds).where(holds.c.order_id == order_id))).mappings().one()
    lines = await _hold_lines(uow, order_id)
    await _give_back(uow, hold["event_id"], lines, "held")
    await _set_status(uow, order_id, "expired")
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


async def reserve(
    uow: UnitOfWork,
    outbox: Outbox,
    *,
    order_id: uuid.UUID,
    event_id: uuid.UUID,
    order_lines: Sequence[OrderLine],
) -> str:
    """Hold the order's tickets or reject it; returns the hold's status. Safe to run twice."""
    existing = (
        await uow.session.execute(select(holds.c.status).where(holds.c.order_id == order_id))
    ).scalar()
    if existing is not None:
        return str(existing)
    lines = _merge(order_lines)
    now = datetime.now(UTC)
    try:
        event, types = await _check_orderable(uow, event_id, lines, now)
        taken = await _take(uow, event_id, lines, "held")
        if not taken and await expire_due_holds_of_types(uow, outbox, [ln.ticket_type_id for ln in lines]):
            taken = await _take(uow, event_id, lines, "held")
        if not taken:
            raise _Refused("sold_out", "not enough tickets left")
    except _Refused as refused:
        await _record_rejection(uow, outbox, order_id, event_id, refused)
        return "rejected"

    expires_at = now + timedelta(minutes=event["hold_minutes"])
    await uow.session.execute(
        holds.insert().values(order_id=order_id, event_id=event_id, status="held", hold_expires_at=expires_at)
    )
    priced = [
        PricedLine(
            ticket_type_id=ln.ticket_type_id,
            ticket_type_name=types[ln.ticket_type_id]["name"],
            quantity=ln.quantity,
            unit_price=types[ln.ticket_type_id]["price"],
            currency=types[ln.ticket_type_id]["currency"],
        )
        for ln in lines
    ]
    await uow.session.execute(
        hold_lines.insert(),
        [
            {
                "order_id": order_id,
                "ticket_type_id": p.ticket_type_id,
                "quantity": p.quantity,
                "unit_price": p.unit_price,
            }
            for p in priced
        ],
    )
    await outbox.add(
        uow,
        TicketsReservedV1(
            order_id=order_id,
            event_id=event_id,
            hold_expires_at=expires_at,
            lines=tuple(priced),
            total=sum(p.unit_price * p.quantity for p in priced),
            currency=priced[0].currency,
            event_name=event["name"],
            event_starts_at=event["starts_at"],
            venue=event["venue"],
        ),
        correlation_id=str(order_id),
    )
    return "held"


async def _record_rejection(
    uow: UnitOfWork, outbox: Outbox, order_id: uuid.UUID, event_id: uuid.UUID, refused: _Refused
) -> None:
    known_event = (await uow.session.execute(select(events.c.id).where(events.c.id == event_id))).scalar()
    if known_event is not None:
        # Rejections of orders for real events are kept, so the decision is never taken twice.
        await uow.session.execute(
            insert(holds)
            .values(order_id=order_id, event_id=event_id, status="rejected", reason=refused.reason)
            .on_conflict_do_nothing()
        )
    await outbox.add(
        uow,
        ReservationRejectedV1(
            order_id=order_id, event_id=event_id, reason=refused.reason, detail=refused.detail
        ),
        correlation_id=str(order_id),
    )


async def confirm_sale(
    uow: UnitOfWork,
    outbox: Outbox,
    *,
    order_id: uuid.UUID,
    event_id: uuid.UUID,
    order_lines: Sequence[OrderLine],
) -> str:
    """A paid order: its hold becomes sold; an expired hold is taken again if there is room."""
    hold = await _lock_hold(uow, order_id)
    if hold is not None and hold["status"] == "sold":
        return "sold"
    if hold is not None and hold["status"] == "held":
        lines = await _hold_lines(uow, order_id)
        await _give_back(uow, event_id, lines, "held")
        # Moving from held to sold cannot fail: the room was already counted.
        await _take(uow, event_id, lines, "sold")
        await _set_status(uow, order_id, "sold")
        await outbox.add(
            uow, SaleConfirmedV1(order_id=order_id, event_id=event_id), correlation_id=str(order_id)
        )
        return "sold"
    lines = _merge(order_lines)
    if await _take(uow, event_id, lines, "sold"):
        if hold is None:
            await uow.session.execute(
                holds.insert().values(order_id=order_id, event_id=event_id, status="sold")
            )
            await uow.session.execute(
                hold_lines.insert(),
                [
                    {
                        "order_id": order_id,
                        "ticket_type_id": ln.ticket_type_id,
                        "quantity": ln.quantity,
                        "unit_price": 0,
                    }
                    for ln in lines
                ],
            )
        else:
            await _set_status(uow, order_id, "sold")
        await outbox.add(
            uow,
            SaleConfirmedV1(order_id=order_id, event_id=event_id, from_expired_hold=True),
            correlation_id=str(order_id),
        )
        return "sold"
    await outbox.add(
        uow,
        SaleRefusedV1(order_id=order_id, event_id=event_id, reason="sold_out"),
        correlation_id=str(order_id),
    )
    return "refused"


async def release(uow: UnitOfWork, *, order_id: uuid.UUID) -> str:
    """A cancelled or expired order gives back whatever it held or bought. Safe to run twice."""
    hold = await _lock_hold(uow, order_id)
    if hold is None or hold["status"] not in ("held", "sold"):
        return hold["status"] if hold is not None else "unknown"
    column = "held" if hold["status"] == "held" else "sold"
    await _give_back(uow, hold["event_id"], await _hold_lines(uow, order_id), column)
    await _set_status(uow, order_id, "released")
    return "released"


async def apply_refund(
    uow: UnitOfWork, *, order_id: uuid.UUID, refund_id: str, refunded: Sequence[OrderLine]
) -> bool:
    """Refunded tickets stop counting as sold, once per refund id."""
    hold = await _lock_hold(uow, order_id)
    if hold is None or hold["status"] != "sold":
        return False
    first_time = await uow.session.execute(
        insert(applied_refunds)
        .values(order_id=order_id, refund_id=refund_id)
        .on_conflict_do_nothing()
        .returning(applied_refunds.c.refund_id)
    )
    if first_time.first() is None:
        return False
    remaining = {ln.ticket_type_id: ln.quantity for ln in await _hold_lines(uow, order_id)}
    back: list[Line] = []
    for line in _merge(refunded):
        quantity = min(line.quantity, remaining.get(line.ticket_type_id, 0))
        if quantity > 0:
            back.append(Line(line.ticket_type_id, quantity))
    await _give_back(uow, hold["event_id"], back, "sold")
    for ln in back:
        await uow.session.execute(
            update(hold_lines)
            .where(and_(hold_lines.c.order_id == order_id, hold_lines.c.ticket_type_id == ln.ticket_type_id))
            .values(refunded=hold_lines.c.refunded + ln.quantity)
        )
    if not await _hold_lines(uow, order_id):
        await _set_status(uow, order_id, "released")
    return True


async def sweep_expired_holds(uow: UnitOfWork, outbox: Outbox, *, batch_size: int = 200) -> int:
    """Expire holds past their time. Several workers may sweep at once (SKIP LOCKED)."""
    due = (
        (
            await uow.session.execute(
                select(holds.c.order_id)
                .where(holds.c.status == "held", holds.c.hold_expires_at <= func.now())
                .order_by(holds.c.hold_expires_at)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    for order_id in due:
        await _expire_locked_hold(uow, outbox, order_id)
    return len(due)

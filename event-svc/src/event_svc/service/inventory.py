"""Inventory decisions: hold or reject (in batches, ``holding.py``), sell, give back, refund.

Each function runs inside the caller's transaction (the consumer's unit of work, after the inbox
has recorded the message) and is safe to run twice. How the counters move without overselling is
explained in ``counters.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert

from crowdify.contracts.catalog import (
    SaleConfirmedV1,
    SaleRefusedV1,
)
from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox
from event_svc.adapters.tables import applied_refunds, events, hold_lines, holds, ticket_types
from event_svc.service.counters import Line, give_back, hold_lines_of, lock_hold, merge, set_status, take
from event_svc.service.holding import PlacedOrder, decide_holds


async def reserve(
    uow: UnitOfWork,
    outbox: Outbox,
    *,
    order_id: uuid.UUID,
    event_id: uuid.UUID,
    order_lines: Sequence[OrderLine],
    buyer_id: str | None = None,
) -> str:
    """Hold the order's tickets or reject it; returns the hold's status. Safe to run twice.

    A batch of one (:func:`holding.decide_holds`). ``buyer_id`` (the verified ``sub`` of whoever
    placed the order) caps what one buyer holds unpaid at once for the event."""
    order = PlacedOrder(order_id=order_id, event_id=event_id, buyer_id=buyer_id, lines=merge(order_lines))
    [status] = await decide_holds(uow, outbox, [order])
    return status


async def confirm_sale(
    uow: UnitOfWork,
    outbox: Outbox,
    *,
    order_id: uuid.UUID,
    event_id: uuid.UUID,
    order_lines: Sequence[OrderLine],
) -> str:
    """A paid order: its hold becomes sold; an expired hold is taken again if there is room."""
    hold = await lock_hold(uow, order_id)
    if hold is not None and hold["status"] == "sold":
        return "sold"
    if hold is not None and hold["status"] == "held":
        lines = await hold_lines_of(uow, order_id)
        await give_back(uow, event_id, lines, "held")
        # Moving from held to sold cannot fail: the room was already counted.
        await take(uow, event_id, lines, "sold")
        await set_status(uow, order_id, "sold")
        await outbox.add(
            uow, SaleConfirmedV1(order_id=order_id, event_id=event_id), correlation_id=str(order_id)
        )
        return "sold"
    if hold is not None and hold["status"] == "rejected":
        # Never held, so never offered for payment; selling it now would skip every rule.
        await outbox.add(
            uow,
            SaleRefusedV1(order_id=order_id, event_id=event_id, reason=hold["reason"] or "event_unavailable"),
            correlation_id=str(order_id),
        )
        return "refused"
    # The hold expired or was released before the payment arrived: take the tickets again if the
    # event still sells them and there is room.
    lines = merge(order_lines)
    sellable = await _types_of_event(uow, event_id, [ln.ticket_type_id for ln in lines])
    if sellable and await take(uow, event_id, lines, "sold"):
        await _record_sold_hold(uow, order_id, event_id, lines, existed=hold is not None)
        await outbox.add(
            uow,
            SaleConfirmedV1(order_id=order_id, event_id=event_id, from_expired_hold=True),
            correlation_id=str(order_id),
        )
        return "sold"
    await outbox.add(
        uow,
        SaleRefusedV1(
            order_id=order_id, event_id=event_id, reason="sold_out" if sellable else "event_unavailable"
        ),
        correlation_id=str(order_id),
    )
    return "refused"


async def _types_of_event(uow: UnitOfWork, event_id: uuid.UUID, type_ids: list[uuid.UUID]) -> bool:
    """Whether the event is on sale and every ticket type belongs to it."""
    status = (await uow.session.execute(select(events.c.status).where(events.c.id == event_id))).scalar()
    if status != "published":
        return False
    found = (
        await uow.session.execute(
            select(ticket_types.c.id).where(
                ticket_types.c.event_id == event_id, ticket_types.c.id.in_(type_ids)
            )
        )
    ).all()
    return len(found) == len(set(type_ids))


async def _record_sold_hold(
    uow: UnitOfWork, order_id: uuid.UUID, event_id: uuid.UUID, lines: list[Line], *, existed: bool
) -> None:
    """The hold's lines must be exactly what is now sold, so a later refund gives back the right
    seats (the old lines, of an expired hold, are replaced)."""
    if existed:
        await uow.session.execute(hold_lines.delete().where(hold_lines.c.order_id == order_id))
        await set_status(uow, order_id, "sold")
    else:
        await uow.session.execute(holds.insert().values(order_id=order_id, event_id=event_id, status="sold"))
    prices = dict(
        (
            await uow.session.execute(
                select(ticket_types.c.id, ticket_types.c.price).where(
                    ticket_types.c.id.in_([ln.ticket_type_id for ln in lines])
                )
            )
        ).all()
    )
    await uow.session.execute(
        hold_lines.insert(),
        [
            {
                "order_id": order_id,
                "ticket_type_id": ln.ticket_type_id,
                "quantity": ln.quantity,
                "unit_price": prices[ln.ticket_type_id],
            }
            for ln in lines
        ],
    )


async def release(uow: UnitOfWork, *, order_id: uuid.UUID, event_id: uuid.UUID) -> str:
    """An unpaid order was cancelled or expired: its hold goes back on sale. Safe to run twice.

    Only a live hold is released. Sold seats come back only through a refund: an expiry or a
    cancellation that arrives after a (late) payment was accepted must not free seats someone
    holds tickets for.
    """
    hold = await lock_hold(uow, order_id)
    if hold is None:
        # The cancellation overtook the order itself: remember it, so the order, when it comes,
        # holds nothing.
        await uow.session.execute(
            insert(holds)
            .values(order_id=order_id, event_id=event_id, status="released")
            .on_conflict_do_nothing()
        )
        return "released"
    if hold["status"] != "held":
        return str(hold["status"])
    await give_back(uow, hold["event_id"], await hold_lines_of(uow, order_id), "held")
    await set_status(uow, order_id, "released")
    return "released"


class RefundBeforeSale(Exception):
    """A refund arrived before the sale it refunds: retried later, never dropped."""


async def apply_refund(
    uow: UnitOfWork, *, order_id: uuid.UUID, refund_id: str, refunded: Sequence[OrderLine]
) -> bool:
    """Refunded tickets stop counting as sold, once per refund id."""
    hold = await lock_hold(uow, order_id)
    if hold is not None and hold["status"] == "held":
        raise RefundBeforeSale(f"order {order_id} is still held; its payment has not been applied yet")
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
    remaining = {ln.ticket_type_id: ln.quantity for ln in await hold_lines_of(uow, order_id)}
    back: list[Line] = []
    for line in merge(refunded):
        quantity = min(line.quantity, remaining.get(line.ticket_type_id, 0))
        if quantity > 0:
            back.append(Line(line.ticket_type_id, quantity))
    await give_back(uow, hold["event_id"], back, "sold")
    for ln in back:
        await uow.session.execute(
            update(hold_lines)
            .where(and_(hold_lines.c.order_id == order_id, hold_lines.c.ticket_type_id == ln.ticket_type_id))
            .values(refunded=hold_lines.c.refunded + ln.quantity)
        )
    if not await hold_lines_of(uow, order_id):
        await set_status(uow, order_id, "released")
    return True

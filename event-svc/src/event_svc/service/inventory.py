"""Inventory decisions, one order at a time: hold or reject, sell, give back, refund.

Each function runs inside the caller's transaction (the consumer's unit of work, after the inbox
has recorded the message) and is safe to run twice. How the counters move without overselling is
explained in ``counters.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping

from crowdify.contracts.catalog import (
    RejectionReason,
    ReservationRejectedV1,
    SaleConfirmedV1,
    SaleRefusedV1,
    TicketsReservedV1,
)
from crowdify.contracts.common import OrderLine, PricedLine, buyer_hold_cap
from crowdify.db import UnitOfWork
from crowdify.inputs import INT32_MAX
from crowdify.messaging.outbox import Outbox
from event_svc.adapters.tables import applied_refunds, events, hold_lines, holds, ticket_types
from event_svc.service.counters import Line, give_back, hold_lines_of, lock_hold, merge, set_status, take
from event_svc.service.expiry import expire_due_holds_of_types


class _Refused(Exception):
    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(detail)
        self.reason: RejectionReason = reason
        self.detail = detail


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
    # Events created before one currency per event was enforced may still mix them: an order's
    # total is one amount in one currency, and it must fit the integer columns that store it.
    if len({types[line.ticket_type_id]["currency"] for line in lines}) > 1:
        raise _Refused("event_unavailable", "one order cannot mix currencies")
    if sum(types[line.ticket_type_id]["price"] * line.quantity for line in lines) > INT32_MAX:
        raise _Refused("limit_exceeded", "the order's total is larger than one payment can be")
    return event, types


async def _check_buyer_cap(
    uow: UnitOfWork,
    event: RowMapping,
    types: dict[uuid.UUID, RowMapping],
    buyer_id: str | None,
    lines: list[Line],
    now: datetime,
) -> None:
    """Refuse an order that would leave one buyer holding more than the event's cap unpaid.

    Concurrent orders of one buyer for one event queue on a transaction-scoped advisory lock
    taken here, so each counts the holds the others committed (READ COMMITTED: every statement
    sees what was committed before it started). Other buyers never wait on it.
    """
    wanted = sum(line.quantity for line in lines)
    cap = buyer_hold_cap(event["max_held_per_buyer"], (t["max_per_order"] for t in types.values()))
    if buyer_id is None:
        if wanted > cap:
            raise _Refused("limit_exceeded", f"at most {cap} tickets per order for this event")
        return
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"event-svc:buyer-holds:{event['id']}:{buyer_id}"},
    )
    already = (
        await uow.session.execute(
            select(func.coalesce(func.sum(hold_lines.c.quantity), 0))
            .select_from(holds.join(hold_lines, hold_lines.c.order_id == holds.c.order_id))
            .where(
                holds.c.event_id == event["id"],
                holds.c.buyer_id == buyer_id,
                holds.c.status == "held",
                holds.c.hold_expires_at > now,
            )
        )
    ).scalar_one()
    if already + wanted > cap:
        raise _Refused(
            "limit_exceeded",
            f"at most {cap} unpaid tickets per buyer for this event; {already} already held",
        )


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

    ``buyer_id`` (the verified ``sub`` of whoever placed the order) caps what one buyer holds
    unpaid at once for the event (:func:`_check_buyer_cap`)."""
    existing = (
        await uow.session.execute(select(holds.c.status).where(holds.c.order_id == order_id))
    ).scalar()
    if existing is not None:
        return str(existing)
    lines = merge(order_lines)
    now = datetime.now(UTC)
    try:
        event, types = await _check_orderable(uow, event_id, lines, now)
        await _check_buyer_cap(uow, event, types, buyer_id, lines, now)
        taken = await take(uow, event_id, lines, "held")
        if not taken and await expire_due_holds_of_types(uow, outbox, [ln.ticket_type_id for ln in lines]):
            taken = await take(uow, event_id, lines, "held")
        if not taken:
            raise _Refused("sold_out", "not enough tickets left")
    except _Refused as refused:
        await _record_rejection(uow, outbox, order_id, event_id, refused)
        return "rejected"

    expires_at = now + timedelta(minutes=event["hold_minutes"])
    await uow.session.execute(
        holds.insert().values(
            order_id=order_id, event_id=event_id, buyer_id=buyer_id, status="held", hold_expires_at=expires_at
        )
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

"""Hold or reject a batch of placed orders in one transaction (group commit, ADR 0018).

The batch's rows are locked once, in the order every writer of the counters takes them (buyers'
advisory keys, then events, then ticket types, each in id order); :func:`hold_plan.plan` decides
every order in memory in arrival order; the result is written with one statement per kind of row:
one conditional update of the events, one of the ticket types, one insert of holds, one of their
lines, one of the outbox. A single order is a batch of one: there is one set of rules.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from crowdify.contracts.catalog import ReservationRejectedV1, TicketsReservedV1
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox, Outgoing
from event_svc.adapters import hold_statements as sql
from event_svc.service.expiry import expire_due_holds_of_types
from event_svc.service.hold_plan import Decision, PlacedOrder, Plan, plan


def _buyer_key(event_id: uuid.UUID, buyer_id: str) -> str:
    # The key a buyer's concurrent orders for one event queue on (READ COMMITTED: each then counts
    # the holds the others committed). Other buyers never wait on it.
    return f"event-svc:buyer-holds:{event_id}:{buyer_id}"


async def decide_holds(uow: UnitOfWork, outbox: Outbox, orders: Sequence[PlacedOrder]) -> list[str]:
    """Decide ``orders`` (in arrival order) inside ``uow``; returns each one's hold status.

    An order decided before (by an earlier batch, or earlier in this one under another message
    id) keeps its decision and sends nothing."""
    db = await uow.driver_connection()
    statuses: dict[uuid.UUID, str] = {
        row["order_id"]: row["status"] for row in await db.fetch(sql.DECIDED, [o.order_id for o in orders])
    }
    todo: list[PlacedOrder] = []
    for order in orders:
        if order.order_id not in statuses:
            statuses[order.order_id] = "pending"  # a later copy in this batch is not decided again
            todo.append(order)
    if todo:
        statuses.update(await _decide(uow, db, outbox, todo))
    return [statuses[o.order_id] for o in orders]


async def _decide(
    uow: UnitOfWork, db: Any, outbox: Outbox, orders: list[PlacedOrder]
) -> dict[uuid.UUID, str]:
    now = datetime.now(UTC)
    buyers = sorted({(o.event_id, o.buyer_id) for o in orders if o.buyer_id is not None})
    if buyers:
        await db.execute(sql.LOCK_BUYERS, sorted(_buyer_key(e, b) for e, b in buyers))
    event_ids = sorted({o.event_id for o in orders})
    type_ids = sorted({line.ticket_type_id for o in orders for line in o.lines})
    held_by_buyer: dict[tuple[uuid.UUID, str], int] = {}
    if buyers:
        rows = await db.fetch(sql.LIVE_HELD_BY_BUYER, [e for e, _ in buyers], [b for _, b in buyers], now)
        held_by_buyer = {(r["event_id"], r["buyer_id"]): r["quantity"] for r in rows}
    decided, events = await _plan_locked(db, orders, event_ids, type_ids, held_by_buyer, now)
    # No buyer is told sold_out while expired holds, not yet swept, still count against capacity.
    if decided.short_of_room and await expire_due_holds_of_types(uow, outbox, type_ids, event_ids):
        decided, events = await _plan_locked(db, orders, event_ids, type_ids, held_by_buyer, now)
    await sql.add_held(db, decided.per_event, decided.per_type)
    await _write(db, uow, outbox, decided, events, now)
    return {d.order.order_id: "rejected" if d.refused else "held" for d in decided.decisions}


async def _plan_locked(
    db: Any,
    orders: list[PlacedOrder],
    event_ids: list[uuid.UUID],
    type_ids: list[uuid.UUID],
    held_by_buyer: dict[tuple[uuid.UUID, str], int],
    now: datetime,
) -> tuple[Plan, dict[uuid.UUID, Any]]:
    events = {row["id"]: row for row in await db.fetch(sql.LOCK_EVENTS, event_ids)}
    types = {row["id"]: row for row in await db.fetch(sql.LOCK_TYPES, type_ids)}
    return plan(orders, events, types, dict(held_by_buyer), now), events


def _rejection(decision: Decision) -> Outgoing:
    order, refused = decision.order, decision.refused
    assert refused is not None
    message = ReservationRejectedV1(
        order_id=order.order_id, event_id=order.event_id, reason=refused.reason, detail=refused.detail
    )
    return Outgoing(message, correlation_id=str(order.order_id), causation_id=order.causation_id)


def _reservation(decision: Decision, event: Any, expires_at: datetime) -> Outgoing:
    order, priced = decision.order, decision.priced
    message = TicketsReservedV1(
        order_id=order.order_id,
        event_id=order.event_id,
        hold_expires_at=expires_at,
        lines=tuple(priced),
        total=sum(p.unit_price * p.quantity for p in priced),
        currency=priced[0].currency,
        event_name=event["name"],
        event_starts_at=event["starts_at"],
        venue=event["venue"],
    )
    return Outgoing(message, correlation_id=str(order.order_id), causation_id=order.causation_id)


async def _write(
    db: Any, uow: UnitOfWork, outbox: Outbox, decided: Plan, events: dict[uuid.UUID, Any], now: datetime
) -> None:
    """The batch's holds, their lines and its announcements, one statement each, in arrival order."""
    hold_rows: list[tuple[uuid.UUID, uuid.UUID, str | None, str, str | None, datetime | None]] = []
    line_rows: list[tuple[uuid.UUID, uuid.UUID, int, int]] = []
    messages: list[Outgoing] = []
    for decision in decided.decisions:
        order, event = decision.order, events.get(decision.order.event_id)
        if decision.refused is not None or event is None:
            messages.append(_rejection(decision))
            # Rejections of orders for real events are kept, so the decision is never taken twice.
            if event is not None and decision.refused is not None:
                hold_rows.append(
                    (order.order_id, order.event_id, None, "rejected", decision.refused.reason, None)
                )
            continue
        expires_at = now + timedelta(minutes=event["hold_minutes"])
        messages.append(_reservation(decision, event, expires_at))
        hold_rows.append((order.order_id, order.event_id, order.buyer_id, "held", None, expires_at))
        line_rows.extend(
            (order.order_id, p.ticket_type_id, p.quantity, p.unit_price) for p in decision.priced
        )
    await sql.insert_holds(db, hold_rows)
    await sql.insert_hold_lines(db, line_rows)
    await outbox.add_many(uow, messages)

"""The reporting read model: what each message changes in it.

Every message writes only the facts it carries, and each write is safe to repeat and to run in any
order relative to the others: an order's row keeps the first value seen for each column
(``COALESCE``), event snapshots and staff lists apply only when newer than what is stored, a refund
or ticket is a row under its own id. So the same messages, delivered twice or shuffled, always
leave the same read model, and replaying the journal rebuilds it exactly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admin_svc.adapters.bulk import arrays, insert_arrays
from admin_svc.adapters.tables import (
    admissions,
    event_staff,
    events,
    order_lines,
    orders,
    refunds,
    ticket_types,
    tickets,
)
from crowdify.contracts import catalog, purchase, validation
from crowdify.contracts import tickets as ticket_contracts
from crowdify.contracts.base import Contract
from crowdify.contracts.common import EventSnapshot, OrderLine, PricedLine
from crowdify.event_staff import record_event_staff

Projector = Callable[[AsyncSession, Any, datetime], Awaitable[None]]


async def _order(session: AsyncSession, order_id: UUID, event_id: UUID, **values: Any) -> None:
    """Fill in an order's columns, keeping any already set (first value wins: facts never change)."""
    statement = insert(orders).values(order_id=order_id, event_id=event_id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[orders.c.order_id],
            set_={name: func.coalesce(orders.c[name], statement.excluded[name]) for name in values},
        )
    )


async def _lines(session: AsyncSession, order_id: UUID, lines: tuple[OrderLine | PricedLine, ...]) -> None:
    for line in lines:
        values: dict[str, Any] = {"quantity": line.quantity, "unit_price": None, "ticket_type_name": None}
        if isinstance(line, PricedLine):
            values.update(unit_price=line.unit_price, ticket_type_name=line.ticket_type_name)
        statement = insert(order_lines).values(
            order_id=order_id, ticket_type_id=line.ticket_type_id, **values
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[order_lines.c.order_id, order_lines.c.ticket_type_id],
                set_={
                    "unit_price": func.coalesce(order_lines.c.unit_price, statement.excluded.unit_price),
                    "ticket_type_name": func.coalesce(
                        order_lines.c.ticket_type_name, statement.excluded.ticket_type_name
                    ),
                },
            )
        )


async def _snapshot(session: AsyncSession, event: EventSnapshot, as_of: datetime) -> None:
    values = {
        "name": event.name,
        "venue": event.venue,
        "city": event.city,
        "starts_at": event.starts_at,
        "ends_at": event.ends_at,
        "status": event.status,
        "sales_start": event.sales_start,
        "sales_end": event.sales_end,
        "capacity": event.capacity,
        "as_of": as_of,
    }
    statement = insert(events).values(event_id=event.id, **values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[events.c.event_id],
            set_={name: statement.excluded[name] for name in values},
            where=events.c.as_of <= statement.excluded.as_of,
        )
    )
    for ticket_type in event.ticket_types:
        type_values = {
            "event_id": event.id,
            "name": ticket_type.name,
            "price": ticket_type.price,
            "currency": ticket_type.currency,
            "capacity": ticket_type.capacity,
            "as_of": as_of,
        }
        type_statement = insert(ticket_types).values(ticket_type_id=ticket_type.id, **type_values)
        await session.execute(
            type_statement.on_conflict_do_update(
                index_elements=[ticket_types.c.ticket_type_id],
                set_={name: type_statement.excluded[name] for name in type_values},
                where=ticket_types.c.as_of <= type_statement.excluded.as_of,
            )
        )


async def event_snapshot(
    session: AsyncSession,
    message: catalog.EventPublishedV1 | catalog.EventUpdatedV1 | catalog.EventCancelledV1,
    occurred_at: datetime,
) -> None:
    await _snapshot(session, message.event, occurred_at)


def _buyer(m: Any) -> dict[str, Any]:
    return {"buyer_email": m.buyer_email, "buyer_name": m.buyer_name}


def _placed(m: purchase.PlacedOrder, at: datetime) -> dict[str, Any]:
    return {"user_id": m.user_id, "placed_at": m.placed_at, **_buyer(m)}


def _reserved(m: catalog.TicketsReservedV1 | catalog.HeldOrder, at: datetime) -> dict[str, Any]:
    return {"held_at": at, "hold_expires_at": m.hold_expires_at, "total": m.total, "currency": m.currency}


def _rejected(m: catalog.ReservationRejectedV1 | catalog.RefusedOrder, at: datetime) -> dict[str, Any]:
    return {"rejected_at": at, "rejection_reason": m.reason}


def _hold_expired(m: catalog.HoldExpiredV1, at: datetime) -> dict[str, Any]:
    return {"expired_at": m.expired_at}


def _expired(m: purchase.OrderExpiredV1, at: datetime) -> dict[str, Any]:
    return {"expired_at": m.expired_at or at, **_buyer(m)}


def _paid(m: purchase.OrderPaidV1, at: datetime) -> dict[str, Any]:
    return {"paid_at": m.paid_at, "paid_total": m.total, "currency": m.currency, "payment_id": m.payment_id}


def _cancelled(m: purchase.OrderCancelledV1, at: datetime) -> dict[str, Any]:
    return {"cancelled_at": at, **_buyer(m)}


def _refunded(m: purchase.OrderRefundedV1, at: datetime) -> dict[str, Any]:
    return _buyer(m)


def _issued(m: ticket_contracts.TicketsIssuedV1, at: datetime) -> dict[str, Any]:
    return {"user_id": m.user_id, **_buyer(m), "issued_at": m.issued_at}


# What each message about an order (or each order of a batch message: a held or refused order of
# catalog.holds.decided.v1) writes in the order's row: {column: value}, from the message and when
# it occurred. One table for both ways of applying them (here one message at a time,
# projection_batches.py a batch at a time), so they cannot drift apart.
ORDER_FACTS: Mapping[type[BaseModel], Callable[[Any, datetime], dict[str, Any]]] = {
    purchase.OrderPlacedV1: _placed,
    purchase.PlacedOrder: _placed,
    catalog.TicketsReservedV1: _reserved,
    catalog.HeldOrder: _reserved,
    catalog.ReservationRejectedV1: _rejected,
    catalog.RefusedOrder: _rejected,
    catalog.HoldExpiredV1: _hold_expired,
    purchase.OrderExpiredV1: _expired,
    purchase.OrderPaidV1: _paid,
    purchase.OrderCancelledV1: _cancelled,
    purchase.OrderRefundedV1: _refunded,
    ticket_contracts.TicketsIssuedV1: _issued,
}
# The kinds whose lines fill in the order's lines (quantities, then prices and type names).
WITH_LINES: frozenset[type[BaseModel]] = frozenset(
    {
        purchase.OrderPlacedV1,
        purchase.PlacedOrder,
        catalog.TicketsReservedV1,
        catalog.HeldOrder,
        purchase.OrderPaidV1,
    }
)


async def order_facts(session: AsyncSession, message: Any, at: datetime) -> None:
    """A message about an order: its facts in the order's row, and its lines if it has them."""
    await _order(session, message.order_id, message.event_id, **ORDER_FACTS[type(message)](message, at))
    if type(message) in WITH_LINES:
        await _lines(session, message.order_id, message.lines)


# The messages that carry several orders (a batch of orders placed, or of decisions): each order
# in them is applied as the per-order message it replaced was (its type is in ORDER_FACTS).
ORDERS_IN: Mapping[type[Contract], Callable[[Any], Sequence[BaseModel]]] = {
    purchase.OrdersPlacedV1: lambda m: m.orders,
    catalog.HoldsDecidedV1: lambda m: m.decisions,
}


async def orders_in(session: AsyncSession, message: Any, at: datetime) -> None:
    """A message about several orders: each as its own message was."""
    for order in ORDERS_IN[type(message)](message):
        await order_facts(session, order, at)


def ticket_row(
    message: ticket_contracts.TicketsIssuedV1, ticket: Any, revoked_at: datetime | None
) -> dict[str, Any]:
    """A ticket of ``message`` as the read model's row."""
    return {
        "ticket_id": ticket.id,
        "order_id": message.order_id,
        "event_id": message.event_id,
        "ticket_type_id": ticket.ticket_type_id,
        "ticket_type_name": ticket.ticket_type,
        "holder_name": ticket.holder_name,
        "child_nombre": ticket.child_nombre,
        "child_rut": ticket.child_rut,
        "issued_at": message.issued_at,
        "revoked_at": revoked_at,
    }


async def order_refunded(session: AsyncSession, message: purchase.OrderRefundedV1, at: datetime) -> None:
    await order_facts(session, message, at)
    await session.execute(
        insert(refunds)
        .values(
            refund_id=message.refund_id,
            order_id=message.order_id,
            event_id=message.event_id,
            amount=message.amount,
            currency=message.currency,
            cause="chargeback" if message.chargeback else message.cause,
            full_refund=message.full,
            lines={str(line.ticket_type_id): line.quantity for line in message.lines},
            ticket_ids=list(message.ticket_ids),
            refunded_at=at,
        )
        .on_conflict_do_nothing(index_elements=[refunds.c.refund_id])
    )
    if message.ticket_ids:
        await session.execute(
            update(tickets)
            .where(tickets.c.ticket_id.in_(message.ticket_ids), tickets.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )


async def tickets_issued(
    session: AsyncSession, message: ticket_contracts.TicketsIssuedV1, at: datetime
) -> None:
    await order_facts(session, message, at)
    # A refund that revoked some of these tickets may have come first: it is applied here.
    refunded = (
        await session.execute(
            refunds.select().where(refunds.c.order_id == message.order_id).order_by(refunds.c.refunded_at)
        )
    ).mappings()
    revoked: dict[UUID, datetime] = {}
    for refund in refunded:
        for ticket_id in refund["ticket_ids"]:
            revoked.setdefault(ticket_id, refund["refunded_at"])
    await session.execute(
        insert(tickets)
        .values([ticket_row(message, ticket, revoked.get(ticket.id)) for ticket in message.tickets])
        .on_conflict_do_nothing(index_elements=[tickets.c.ticket_id])
    )


async def staff_changed(session: AsyncSession, message: catalog.EventStaffChangedV1, at: datetime) -> None:
    await record_event_staff(session, event_staff, message)


ADMISSION_COLUMNS = ("ticket_id", "event_id", "gate", "admitted_at")
# Any number of admissions in one statement (one array per column, see adapters.bulk).
ADMISSIONS_UPSERT = insert_arrays(
    admissions,
    ADMISSION_COLUMNS,
    "ON CONFLICT (ticket_id) DO UPDATE SET gate = EXCLUDED.gate, admitted_at = EXCLUDED.admitted_at"
    " WHERE admissions.admitted_at > EXCLUDED.admitted_at",
)
# One ticket's admission as a message reports it: (event_id, ticket_id, gate, admitted_at).
AdmissionFact = tuple[UUID, UUID, str | None, datetime]


def admission_facts(
    message: validation.TicketAdmittedV1 | validation.TicketsAdmittedV1,
) -> list[AdmissionFact]:
    if isinstance(message, validation.TicketAdmittedV1):
        return [(message.event_id, message.ticket_id, message.gate, message.admitted_at)]
    return [(message.event_id, a.ticket_id, a.gate, a.admitted_at) for a in message.admissions]


async def upsert_admissions(session: AsyncSession, facts: Iterable[AdmissionFact]) -> None:
    """The earliest admission of a ticket is the one that counts (two devices may report one, and
    a later sync may announce an earlier one), in one statement for all ``facts``.

    ``ON CONFLICT DO UPDATE`` cannot touch a row twice in one statement, so a ticket reported more
    than once is reduced first to what the reports one by one would leave: the event of the first
    report (the insert's) and the earliest entry, the first reported among equals (a stored row
    wins a tie as well).
    """
    rows: dict[UUID, dict[str, Any]] = {}
    for event_id, ticket_id, gate, admitted_at in facts:
        kept = rows.get(ticket_id)
        if kept is None:
            rows[ticket_id] = {
                "ticket_id": ticket_id,
                "event_id": event_id,
                "gate": gate,
                "admitted_at": admitted_at,
            }
        elif admitted_at < kept["admitted_at"]:
            kept.update(gate=gate, admitted_at=admitted_at)
    if not rows:
        return
    # In the order of the key: two workers upserting overlapping lists lock rows alike.
    ordered = (rows[ticket_id] for ticket_id in sorted(rows))
    await session.execute(ADMISSIONS_UPSERT, arrays(ordered, ADMISSION_COLUMNS))


async def ticket_admitted(session: AsyncSession, message: validation.TicketAdmittedV1, at: datetime) -> None:
    """Superseded by ``tickets_admitted``; still applied for messages sent before the change."""
    await upsert_admissions(session, admission_facts(message))


async def tickets_admitted(
    session: AsyncSession, message: validation.TicketsAdmittedV1, at: datetime
) -> None:
    """A batch of an event's first entries, in one statement."""
    await upsert_admissions(session, admission_facts(message))


PROJECTORS: Mapping[type[Contract], Projector] = {
    catalog.EventPublishedV1: event_snapshot,
    catalog.EventUpdatedV1: event_snapshot,
    catalog.EventCancelledV1: event_snapshot,
    catalog.TicketsReservedV1: order_facts,
    catalog.ReservationRejectedV1: order_facts,
    catalog.HoldsDecidedV1: orders_in,
    catalog.HoldExpiredV1: order_facts,
    purchase.OrderPlacedV1: order_facts,
    purchase.OrdersPlacedV1: orders_in,
    purchase.OrderPaidV1: order_facts,
    purchase.OrderExpiredV1: order_facts,
    purchase.OrderCancelledV1: order_facts,
    purchase.OrderRefundedV1: order_refunded,
    ticket_contracts.TicketsIssuedV1: tickets_issued,
    catalog.EventStaffChangedV1: staff_changed,
    validation.TicketAdmittedV1: ticket_admitted,
    validation.TicketsAdmittedV1: tickets_admitted,
}

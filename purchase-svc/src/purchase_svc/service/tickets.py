"""Tickets: issued once per paid order with Ed25519-signed QR payloads, revoked on refunds, and
read back by their owner (or an admin).

Issuing is keyed on the order: :func:`issue_tickets` runs under the order's row lock, right after
the state machine moved the order to ``paid``, and does nothing if the order already has tickets,
so no redelivery, duplicate notification or race can issue a second set.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update

from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.db import UnitOfWork
from crowdify.tickets import SigningKey, TicketClaims, sign_ticket
from purchase_svc.adapters.orders import OrderLineRow, OrderRow, order_lines
from purchase_svc.adapters.tables import attendees, catalog_events, orders, tickets


async def _event_details(uow: UnitOfWork, event_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await uow.session.execute(select(catalog_events.c.snapshot).where(catalog_events.c.id == event_id))
    ).first()
    snapshot: dict[str, Any] = dict(row[0]) if row is not None else {}
    return snapshot


@dataclass(frozen=True)
class TicketRow:
    """One row of ``tickets``."""

    id: uuid.UUID
    order_id: uuid.UUID
    event_id: uuid.UUID
    ticket_type_id: uuid.UUID
    attendee_id: uuid.UUID | None
    holder_name: str
    status: str  # valid | revoked
    qr_payload: str
    issued_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class RevokedTicket:
    id: uuid.UUID
    ticket_type_id: uuid.UUID


@dataclass(frozen=True)
class AttendeeRow:
    """One row of ``attendees``: who holds the ticket at ``position`` of a line of the order."""

    id: uuid.UUID
    order_id: uuid.UUID
    ticket_type_id: uuid.UUID
    position: int
    name: str
    child_nombre: str | None
    child_rut: str | None
    child_fecha_nacimiento: date | None


@dataclass
class _NewTickets:
    """The rows to insert and the message entries announcing them, built together."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    announced: list[IssuedTicket] = field(default_factory=list)


async def _attendees_by_type(uow: UnitOfWork, order_id: uuid.UUID) -> dict[uuid.UUID, list[AttendeeRow]]:
    query = select(attendees).where(attendees.c.order_id == order_id).order_by(attendees.c.position)
    people: dict[uuid.UUID, list[AttendeeRow]] = defaultdict(list)
    for row in (await uow.session.execute(query)).mappings().all():
        people[row["ticket_type_id"]].append(AttendeeRow(**row))
    return people


def _add_ticket(
    new: _NewTickets,
    order: OrderRow,
    line: OrderLineRow,
    person: AttendeeRow | None,
    signing_key: SigningKey,
    issued_at: datetime,
) -> None:
    ticket_id = uuid.uuid4()
    claims = TicketClaims(
        ticket_id=ticket_id, event_id=order.event_id, ticket_type_id=line.ticket_type_id, issued_at=issued_at
    )
    holder = person.name if person is not None else order.buyer_name
    qr_payload = sign_ticket(claims, signing_key)
    new.rows.append(
        {
            "id": ticket_id,
            "order_id": order.id,
            "event_id": order.event_id,
            "ticket_type_id": line.ticket_type_id,
            "attendee_id": person.id if person is not None else None,
            "holder_name": holder,
            "status": "valid",
            "qr_payload": qr_payload,
            "issued_at": issued_at,
        }
    )
    new.announced.append(
        IssuedTicket(
            id=ticket_id,
            ticket_type_id=line.ticket_type_id,
            ticket_type=line.ticket_type_name,
            holder_name=holder,
            qr_payload=qr_payload,
            child_nombre=person.child_nombre if person is not None else None,
            child_rut=person.child_rut if person is not None else None,
        )
    )


async def issue_tickets(
    uow: UnitOfWork, order: OrderRow, signing_key: SigningKey, *, now: datetime | None = None
) -> TicketsIssuedV1 | None:
    """Issue the tickets of ``order`` (locked by the caller) and return the message announcing
    them, or None when the order already has tickets (they are issued once, ever).

    One ticket per unit of each order line; the holder is the attendee at that position, or the
    buyer when the order named no attendees.
    """
    existing = await uow.session.execute(
        select(func.count()).select_from(tickets).where(tickets.c.order_id == order.id)
    )
    if existing.scalar_one():
        return None
    issued_at = (now or datetime.now(UTC)).replace(microsecond=0)
    people = await _attendees_by_type(uow, order.id)
    new = _NewTickets()
    for line in await order_lines(uow, order.id):
        named = people.get(line.ticket_type_id, [])
        for position in range(line.quantity):
            person = named[position] if position < len(named) else None
            _add_ticket(new, order, line, person, signing_key, issued_at)
    if not new.rows:
        return None
    await uow.session.execute(tickets.insert(), new.rows)
    event = await _event_details(uow, order.event_id)
    return TicketsIssuedV1(
        order_id=order.id,
        event_id=order.event_id,
        event_name=event.get("name"),
        venue=event.get("venue"),
        event_starts_at=event.get("starts_at"),
        buyer_email=order.buyer_email,
        buyer_name=order.buyer_name,
        user_id=order.user_id,
        tickets=tuple(new.announced),
        issued_at=issued_at,
    )


async def revoke_tickets(
    uow: UnitOfWork, order_id: uuid.UUID, ticket_ids: tuple[uuid.UUID, ...] | None = None
) -> list[RevokedTicket]:
    """Revoke the order's valid tickets (all, or those of ``ticket_ids``); returns those revoked now."""
    statement = (
        update(tickets)
        .where(tickets.c.order_id == order_id, tickets.c.status == "valid")
        .values(status="revoked", revoked_at=func.now())
        .returning(tickets.c.id, tickets.c.ticket_type_id)
    )
    if ticket_ids is not None:
        statement = statement.where(tickets.c.id.in_(ticket_ids))
    return [RevokedTicket(**row) for row in (await uow.session.execute(statement)).mappings().all()]


async def order_tickets(uow: UnitOfWork, order_id: uuid.UUID) -> list[TicketRow]:
    query = select(tickets).where(tickets.c.order_id == order_id).order_by(tickets.c.issued_at, tickets.c.id)
    return [TicketRow(**row) for row in (await uow.session.execute(query)).mappings().all()]


async def list_user_tickets(
    uow: UnitOfWork, user_id: str, *, limit: int, offset: int
) -> tuple[list[TicketRow], int]:
    """A user's tickets (newest first) and how many there are in all."""
    owned = select(tickets).join(orders, orders.c.id == tickets.c.order_id).where(orders.c.user_id == user_id)
    total = (await uow.session.execute(select(func.count()).select_from(owned.subquery()))).scalar_one()
    page = owned.order_by(tickets.c.issued_at.desc(), tickets.c.id).limit(limit).offset(offset)
    rows = (await uow.session.execute(page)).mappings().all()
    return [TicketRow(**row) for row in rows], int(total)


async def get_ticket(uow: UnitOfWork, ticket_id: uuid.UUID) -> tuple[TicketRow, str] | None:
    """The ticket and its owner's user id, or None."""
    query = (
        select(tickets, orders.c.user_id.label("owner_id"))
        .join(orders, orders.c.id == tickets.c.order_id)
        .where(tickets.c.id == ticket_id)
    )
    row = (await uow.session.execute(query)).mappings().first()
    if row is None:
        return None
    ticket = {key: value for key, value in row.items() if key != "owner_id"}
    return TicketRow(**ticket), str(row["owner_id"])

"""Tickets issued (``purchase.tickets.issued.v1``): keep pdf-svc's copy, then render.

The copy holds only what a page prints plus who may download it: no buyer email. A message
with the same content as the copy already recorded (purchase-svc's outbox re-sending it under
another id, a replay from the parking queue) changes nothing: no rendering, no message.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from crowdify.contracts.pdf import TicketsRenderedV1
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.db import UnitOfWork
from pdf_svc.adapters.tables import orders, tickets
from pdf_svc.service.locks import lock_event, lock_order
from pdf_svc.service.rendering import Renderer
from pdf_svc.service.revocations import apply_early_revocations


class TicketOfAnotherOrder(ValueError):
    """A ticket id in the message is already recorded for another order (a bug upstream)."""


def _clean(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL; nothing printable is lost.
    return value.replace("\x00", "") if value is not None else None


def _copy(message: TicketsIssuedV1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    order = {
        "id": message.order_id,
        "event_id": message.event_id,
        "user_id": _clean(message.user_id),
        "event_name": _clean(message.event_name),
        "venue": _clean(message.venue),
        "event_starts_at": message.event_starts_at,
    }
    rows = [
        {
            "id": ticket.id,
            "order_id": message.order_id,
            "event_id": message.event_id,
            "position": position,
            "ticket_type": _clean(ticket.ticket_type),
            "holder_name": _clean(ticket.holder_name),
            "child_nombre": _clean(ticket.child_nombre),
            "qr_payload": _clean(ticket.qr_payload),
        }
        for position, ticket in enumerate(message.tickets)
    ]
    return order, rows


def input_digest(order: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """A digest of everything the copy takes from the message."""
    canonical = json.dumps({"order": order, "tickets": rows}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def accept_issued(
    uow: UnitOfWork, message: TicketsIssuedV1, renderer: Renderer
) -> TicketsRenderedV1 | None:
    """Record the order's tickets and render them; None when nothing new was rendered."""
    await lock_event(uow, message.event_id)
    await lock_order(uow, message.order_id)
    order, rows = _copy(message)
    fingerprint = input_digest(order, rows)
    recorded = await uow.session.scalar(select(orders.c.input_sha256).where(orders.c.id == message.order_id))
    if recorded == fingerprint:
        return None
    await _refuse_foreign_tickets(uow, message.order_id, [row["id"] for row in rows])

    statement = insert(orders).values(**order, input_sha256=fingerprint)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[orders.c.id],
            set_={key: statement.excluded[key] for key in [*order, "input_sha256"] if key != "id"},
        )
    )
    ticket_rows = insert(tickets).values(rows)
    await uow.session.execute(
        ticket_rows.on_conflict_do_update(
            index_elements=[tickets.c.id],
            # Status and documents are pdf-svc's own; a newer message changes only what it says.
            set_={
                key: ticket_rows.excluded[key]
                for key in ("position", "ticket_type", "holder_name", "child_nombre", "qr_payload")
            },
        )
    )
    await apply_early_revocations(uow, message.order_id, message.event_id)
    return await renderer.render_order(uow, message.order_id)


async def _refuse_foreign_tickets(uow: UnitOfWork, order_id: UUID, ticket_ids: list[UUID]) -> None:
    foreign = await uow.session.scalar(
        select(tickets.c.id).where(tickets.c.id.in_(ticket_ids), tickets.c.order_id != order_id).limit(1)
    )
    if foreign is not None:
        raise TicketOfAnotherOrder(f"ticket {foreign} belongs to another order than {order_id}")

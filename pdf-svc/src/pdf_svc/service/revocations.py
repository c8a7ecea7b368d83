"""Refunded and cancelled tickets: their documents are no longer served (410 ``ticket_revoked``).

Stored objects are never deleted or changed by a revocation. An order left with some valid
tickets gets its order document rendered again without the revoked ones (a new revision, and a
``pdf.tickets.rendered.v1`` listing what remains); an order with none left is not rendered.
A refund that arrives before the order's tickets (retry tiers reorder messages; a late payment
can be refunded before anything was issued) is kept and applied when they arrive, and tickets
of an event already cancelled are revoked on arrival.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import exists, select, update

from crowdify.contracts.pdf import TicketsRenderedV1
from crowdify.contracts.purchase import OrderRefundedV1
from crowdify.db import UnitOfWork
from pdf_svc.adapters.tables import early_revocations, events, orders, tickets
from pdf_svc.service.locks import lock_event, lock_order
from pdf_svc.service.rendering import Renderer


async def _revoke(uow: UnitOfWork, condition: Any, reason: str, at: datetime) -> int:
    result = await uow.session.execute(
        update(tickets)
        .where(condition, tickets.c.status == "valid")
        .values(status="revoked", revoked_at=at, revoked_reason=reason)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def revoke_refunded(
    uow: UnitOfWork, message: OrderRefundedV1, at: datetime, renderer: Renderer
) -> TicketsRenderedV1 | None:
    """Revoke the refunded tickets (every ticket of the order for a full refund without ids)."""
    if not message.ticket_ids and not message.full:
        return None  # a partial refund that names no ticket revokes none
    await lock_event(uow, message.event_id)
    await lock_order(uow, message.order_id)
    known = await uow.session.scalar(select(exists().where(orders.c.id == message.order_id)))
    if not known:
        targets: list[UUID | None] = list(message.ticket_ids) if message.ticket_ids else [None]
        await uow.session.execute(
            early_revocations.insert(),
            [
                {"order_id": message.order_id, "ticket_id": t, "reason": "refunded", "revoked_at": at}
                for t in targets
            ],
        )
        return None
    in_order = tickets.c.order_id == message.order_id
    condition = in_order & tickets.c.id.in_(message.ticket_ids) if message.ticket_ids else in_order
    if not await _revoke(uow, condition, "refunded", at):
        return None
    return await renderer.render_order(uow, message.order_id)


async def revoke_event(uow: UnitOfWork, event_id: UUID, at: datetime) -> int:
    """Every valid ticket of a cancelled event; the event's snapshot says ``cancelled`` already."""
    await lock_event(uow, event_id, exclusive=True)
    return await _revoke(uow, tickets.c.event_id == event_id, "event_cancelled", at)


async def apply_early_revocations(uow: UnitOfWork, order_id: UUID, event_id: UUID) -> None:
    """Refunds kept for an order whose tickets just arrived, and its event's cancellation."""
    in_order = tickets.c.order_id == order_id
    early = (
        await uow.session.execute(
            select(
                early_revocations.c.ticket_id, early_revocations.c.reason, early_revocations.c.revoked_at
            ).where(early_revocations.c.order_id == order_id)
        )
    ).all()
    for ticket_id, reason, at in early:
        await _revoke(
            uow, in_order if ticket_id is None else in_order & (tickets.c.id == ticket_id), reason, at
        )
    cancelled_at = await uow.session.scalar(
        select(events.c.as_of).where(events.c.id == event_id, events.c.status == "cancelled")
    )
    if cancelled_at is not None:
        await _revoke(uow, in_order, "event_cancelled", cancelled_at)

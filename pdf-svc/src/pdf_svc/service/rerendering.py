"""Render orders again on demand (``python -m pdf_svc.rerender``), from pdf-svc's own copy.

Each order in its own transaction, under the same locks as the consumer's handlers: a new
revision, new objects, a new ``pdf.tickets.rendered.v1``. Used after a template change, an event
update that should show on the tickets, or objects lost from storage.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select

from crowdify.contracts.pdf import TicketsRenderedV1
from crowdify.db import UnitOfWorkFactory
from pdf_svc.adapters.tables import orders
from pdf_svc.service.locks import lock_event, lock_order
from pdf_svc.service.rendering import Renderer


class UnknownOrder(LookupError):
    """pdf-svc has no tickets of this order (never issued, or not yet received)."""


async def rerender_order(
    uow_factory: UnitOfWorkFactory, renderer: Renderer, order_id: UUID
) -> TicketsRenderedV1 | None:
    """The message announcing the new revision; None when none of the order's tickets is valid."""
    async with uow_factory() as uow:
        event_id = await uow.session.scalar(select(orders.c.event_id).where(orders.c.id == order_id))
        if event_id is None:
            raise UnknownOrder(str(order_id))
        await lock_event(uow, event_id)
        await lock_order(uow, order_id)
        return await renderer.render_order(uow, order_id)


async def orders_of_event(uow_factory: UnitOfWorkFactory, event_id: UUID) -> list[UUID]:
    async with uow_factory() as uow:
        result = await uow.session.scalars(
            select(orders.c.id)
            .where(orders.c.event_id == event_id)
            .order_by(orders.c.created_at, orders.c.id)
        )
        return list(result)

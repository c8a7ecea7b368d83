"""Reading pdf-svc's tables in tests, with the service's own role."""

from __future__ import annotations

import uuid
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import select

from crowdify.db import UnitOfWorkFactory
from pdf_svc.adapters.tables import early_revocations, messaging, orders, tickets


async def order_row(uow_factory: UnitOfWorkFactory, order_id: uuid.UUID) -> dict[str, Any] | None:
    async with uow_factory() as uow:
        row = (await uow.session.execute(select(orders).where(orders.c.id == order_id))).mappings().first()
    return dict(row) if row is not None else None


async def ticket_rows(uow_factory: UnitOfWorkFactory, order_id: uuid.UUID) -> list[dict[str, Any]]:
    async with uow_factory() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(tickets).where(tickets.c.order_id == order_id).order_by(tickets.c.position)
                )
            )
            .mappings()
            .all()
        )
    return [dict(row) for row in rows]


async def early_revocation_orders(uow_factory: UnitOfWorkFactory, *order_ids: uuid.UUID) -> set[uuid.UUID]:
    """Which of ``order_ids`` have refunds recorded ahead of their tickets."""
    async with uow_factory() as uow:
        found = await uow.session.scalars(
            select(early_revocations.c.order_id).where(early_revocations.c.order_id.in_(order_ids))
        )
        return set(found)


async def rendered_in_outbox(uow_factory: UnitOfWorkFactory, order_id: uuid.UUID) -> list[dict[str, Any]]:
    """The ``pdf.tickets.rendered.v1`` envelopes pdf-svc wrote for ``order_id``, oldest first."""
    async with uow_factory() as uow:
        envelopes = await uow.session.scalars(
            select(messaging.outbox.c.envelope)
            .where(
                messaging.outbox.c.routing_key == "pdf.tickets.rendered.v1",
                messaging.outbox.c.envelope["payload"]["order_id"].astext == str(order_id),
            )
            .order_by(messaging.outbox.c.created_at)
        )
        return [dict(envelope) for envelope in envelopes]


def handled(queue: str, message_type: str, metric: str = "crowdify_messages_consumed_total") -> float:
    """How many ``message_type`` messages the consumer of ``queue`` has acknowledged so far."""
    return REGISTRY.get_sample_value(metric, {"queue": queue, "type": message_type}) or 0.0

"""Reading and moving orders. Every status change goes through :func:`transition`, under the
order's row lock, so concurrent handlers (a webhook and a message about the same order) are
serialised and the state machine of ``domain/order.py`` is the only judge of what may happen."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import RowMapping

from crowdify.db import UnitOfWork
from purchase_svc.adapters.tables import order_items, orders
from purchase_svc.domain.order import OrderEvent, OrderStatus, next_status


async def lock_order(uow: UnitOfWork, order_id: uuid.UUID) -> RowMapping | None:
    query = select(orders).where(orders.c.id == order_id).with_for_update()
    return (await uow.session.execute(query)).mappings().first()


async def get_order(uow: UnitOfWork, order_id: uuid.UUID) -> RowMapping | None:
    return (await uow.session.execute(select(orders).where(orders.c.id == order_id))).mappings().first()


async def order_lines(uow: UnitOfWork, order_id: uuid.UUID) -> list[RowMapping]:
    query = (
        select(order_items).where(order_items.c.order_id == order_id).order_by(order_items.c.ticket_type_id)
    )
    return list((await uow.session.execute(query)).mappings().all())


async def transition(
    uow: UnitOfWork, order: RowMapping, event: OrderEvent, **changes: Any
) -> OrderStatus | None:
    """Move a locked order by ``event``; returns the new status, or None when the state machine
    says the event changes nothing here (a duplicate, a late or reordered signal)."""
    target = next_status(OrderStatus(order["status"]), event)
    if target is None:
        return None
    await uow.session.execute(
        update(orders)
        .where(orders.c.id == order["id"])
        .values(status=target.value, updated_at=func.now(), **changes)
    )
    return target

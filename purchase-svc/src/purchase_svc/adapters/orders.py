"""Reading and moving orders. Every status change goes through :func:`transition`, under the
order's row lock, so concurrent handlers (a webhook and a message about the same order) are
serialised and the state machine of ``domain/order.py`` is the only judge of what may happen."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from crowdify.db import UnitOfWork
from purchase_svc.adapters.tables import order_items, orders
from purchase_svc.domain.order import OrderEvent, OrderStatus, next_status


@dataclass(frozen=True)
class OrderRow:
    """One row of ``orders``, as read (a transition does not change the instance)."""

    id: uuid.UUID
    user_id: str
    event_id: uuid.UUID
    status: OrderStatus
    reason: str | None
    buyer_name: str
    buyer_email: str
    total: int | None
    currency: str
    hold_expires_at: datetime | None
    payment_link: str | None
    preference_id: str | None
    # How a payment that arrived after the hold expired is being settled: requested | accepted | refunded.
    late_payment: str | None
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> OrderRow:
        return cls(**{**row, "status": OrderStatus(row["status"])})


@dataclass(frozen=True)
class OrderLineRow:
    """One line of an order: a ticket type, how many, and the price event-svc held it at."""

    order_id: uuid.UUID
    ticket_type_id: uuid.UUID
    ticket_type_name: str | None
    quantity: int
    unit_price: int | None


async def lock_order(uow: UnitOfWork, order_id: uuid.UUID) -> OrderRow | None:
    query = select(orders).where(orders.c.id == order_id).with_for_update()
    row = (await uow.session.execute(query)).mappings().first()
    return OrderRow.from_row(row) if row is not None else None


async def get_order(uow: UnitOfWork, order_id: uuid.UUID) -> OrderRow | None:
    row = (await uow.session.execute(select(orders).where(orders.c.id == order_id))).mappings().first()
    return OrderRow.from_row(row) if row is not None else None


async def order_lines(uow: UnitOfWork, order_id: uuid.UUID) -> list[OrderLineRow]:
    query = (
        select(order_items).where(order_items.c.order_id == order_id).order_by(order_items.c.ticket_type_id)
    )
    return [OrderLineRow(**row) for row in (await uow.session.execute(query)).mappings().all()]


async def transition(
    uow: UnitOfWork, order: OrderRow, event: OrderEvent, **changes: Any
) -> OrderStatus | None:
    """Move a locked order by ``event``; returns the new status, or None when the state machine
    says the event changes nothing here (a duplicate, a late or reordered signal)."""
    target = next_status(order.status, event)
    if target is None:
        return None
    await uow.session.execute(
        update(orders)
        .where(orders.c.id == order.id)
        .values(status=target.value, updated_at=func.now(), **changes)
    )
    return target

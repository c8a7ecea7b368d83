"""Reading and cancelling orders (placing them: ``placing.py``). Each use case opens and commits
its own transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from crowdify.auth import Principal
from crowdify.contracts.purchase import OrderCancelledV1
from crowdify.db import UnitOfWork
from purchase_svc.adapters.orders import (
    OrderLineRow,
    OrderRow,
    get_order,
    lock_order,
    order_lines,
    transition,
)
from purchase_svc.adapters.tables import orders
from purchase_svc.domain.order import OrderEvent, can_be_cancelled_by_buyer
from purchase_svc.service.commands import CancellationCause
from purchase_svc.service.context import Purchases
from purchase_svc.service.errors import OrderNotCancellable, OrderNotFound
from purchase_svc.service.order_messages import buyer_notice, message_lines
from purchase_svc.service.tickets import TicketRow, order_tickets


@dataclass(frozen=True)
class OrderView:
    order: OrderRow
    items: list[OrderLineRow]
    tickets: list[TicketRow]


def _view_of(row: Mapping[str, Any]) -> OrderView:
    """An order read by ``OrderStatements.read`` (its row with its ``lines`` and ``tickets``)."""
    values = dict(row)
    lines, tickets = values.pop("lines"), values.pop("tickets")
    return OrderView(
        OrderRow.from_row(values),
        [OrderLineRow(**dict(line)) for line in lines],
        [TicketRow(**dict(t)) for t in tickets],
    )


async def _view(uow: UnitOfWork, order: OrderRow) -> OrderView:
    return OrderView(order, await order_lines(uow, order.id), await order_tickets(uow, order.id))


def _visible_to(order: OrderRow, user: Principal) -> bool:
    return user.role == "admin" or order.user_id == user.user_id


async def get_order_view(purchases: Purchases, order_id: uuid.UUID, user: Principal) -> OrderView:
    """The order with its lines and tickets, read with one statement."""
    row = await purchases.order_statements.read(order_id)
    view = _view_of(row) if row is not None else None
    if view is None or not _visible_to(view.order, user):
        raise OrderNotFound()  # another buyer's order does not exist for you
    return view


@dataclass(frozen=True)
class OrderFilter:
    user_id: str | None = None
    event_id: uuid.UUID | None = None
    status: str | None = None


async def list_orders(
    purchases: Purchases, flt: OrderFilter, *, page: int, page_size: int
) -> tuple[list[OrderView], int]:
    conditions: list[Any] = []
    if flt.user_id is not None:
        conditions.append(orders.c.user_id == flt.user_id)
    if flt.event_id is not None:
        conditions.append(orders.c.event_id == flt.event_id)
    if flt.status is not None:
        conditions.append(orders.c.status == flt.status)
    async with purchases.uow_factory() as uow:
        total = (
            await uow.session.execute(select(func.count()).select_from(orders).where(*conditions))
        ).scalar_one()
        rows = (
            (
                await uow.session.execute(
                    select(orders)
                    .where(*conditions)
                    .order_by(orders.c.created_at.desc(), orders.c.id)
                    .offset((page - 1) * page_size)
                    .limit(page_size)
                )
            )
            .mappings()
            .all()
        )
        return [await _view(uow, OrderRow.from_row(row)) for row in rows], total


async def _cancel(purchases: Purchases, uow: UnitOfWork, order: OrderRow, cause: CancellationCause) -> None:
    """Cancel a locked unpaid order and announce it; its hold goes back on sale."""
    if not can_be_cancelled_by_buyer(order.status):
        raise OrderNotCancellable(f"An order in status {order.status} cannot be cancelled this way")
    await transition(uow, order, OrderEvent.CANCELLED, reason="cancelled_by_buyer")
    await purchases.outbox.add(
        uow,
        OrderCancelledV1(
            order_id=order.id,
            event_id=order.event_id,
            lines=message_lines(await order_lines(uow, order.id)),
            total=order.total,
            cause=cause.value,
            **await buyer_notice(uow, order),
        ),
        correlation_id=str(order.id),
    )


async def cancel_unpaid_order(purchases: Purchases, order_id: uuid.UUID, user: Principal) -> OrderView:
    """The buyer (or an admin) gives up an unpaid order."""
    async with purchases.uow_factory() as uow:
        order = await lock_order(uow, order_id)
        if order is None or not _visible_to(order, user):
            raise OrderNotFound()
        cause = CancellationCause.BUYER if user.user_id == order.user_id else CancellationCause.ADMIN
        await _cancel(purchases, uow, order, cause)
        refreshed = await get_order(uow, order_id)
        assert refreshed is not None
        return await _view(uow, refreshed)


async def cancel_for_cancelled_event(purchases: Purchases, order_id: uuid.UUID) -> None:
    """An unpaid order of an event that was cancelled: announced with cause ``event_cancelled``,
    so the buyer gets the one cancellation email."""
    async with purchases.uow_factory() as uow:
        order = await lock_order(uow, order_id)
        if order is None:
            raise OrderNotFound()
        await _cancel(purchases, uow, order, CancellationCause.EVENT_CANCELLED)

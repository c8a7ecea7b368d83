"""Placing, reading and cancelling orders. Each use case opens and commits its own transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from crowdify.auth import Principal
from crowdify.contracts.common import OrderLine, buyer_hold_cap
from crowdify.contracts.purchase import OrderCancelledV1, OrderPlacedV1
from crowdify.db import UnitOfWork
from purchase_svc.adapters.orders import (
    OrderLineRow,
    OrderRow,
    get_order,
    lock_order,
    order_lines,
    transition,
)
from purchase_svc.adapters.tables import attendees, catalog_events, order_items, orders
from purchase_svc.domain.order import OrderEvent, OrderStatus, can_be_cancelled_by_buyer
from purchase_svc.service.buyer_email import verified_buyer_email
from purchase_svc.service.commands import CancellationCause, PlaceOrder
from purchase_svc.service.context import Purchases
from purchase_svc.service.errors import HoldLimitExceeded, InvalidOrder, OrderNotCancellable, OrderNotFound
from purchase_svc.service.order_messages import buyer_notice, message_lines
from purchase_svc.service.order_rate import check_order_rate
from purchase_svc.service.tickets import TicketRow, order_tickets


@dataclass(frozen=True)
class OrderView:
    order: OrderRow
    items: list[OrderLineRow]
    tickets: list[TicketRow]


async def _check_against_catalogue(uow: UnitOfWork, request: PlaceOrder) -> None:
    """Refuse what the catalogue already tells us is wrong (422). An event not (yet) known here is
    left to event-svc, which owns the decision and answers ``event_unavailable``."""
    snapshot = (
        await uow.session.execute(
            select(catalog_events.c.snapshot).where(catalog_events.c.id == request.event_id)
        )
    ).scalar()
    if snapshot is None:
        return
    types = {t["id"]: t for t in snapshot.get("ticket_types", [])}
    cap = buyer_hold_cap(snapshot.get("max_held_per_buyer"), (t["max_per_order"] for t in types.values()))
    if sum(item.quantity for item in request.items) > cap:
        raise InvalidOrder(f"at most {cap} tickets per order for this event")
    ordered = [types[str(item.ticket_type_id)] for item in request.items if str(item.ticket_type_id) in types]
    if len({t.get("currency") for t in ordered}) > 1:
        raise InvalidOrder("Una compra se paga en una sola moneda", code="mixed_currencies")
    for item in request.items:
        ticket_type = types.get(str(item.ticket_type_id))
        if ticket_type is None:
            raise InvalidOrder(f"ticket type {item.ticket_type_id} is not sold for this event")
        if item.quantity > ticket_type["max_per_order"]:
            raise InvalidOrder(
                f"at most {ticket_type['max_per_order']} tickets of {ticket_type['name']} per order"
            )
        missing_children = item.attendees is None or any(a.child is None for a in item.attendees)
        if ticket_type.get("requires_child_details") and missing_children:
            raise InvalidOrder(f"{ticket_type['name']} needs one attendee with child details per ticket")


def _attendee_rows(order_id: uuid.UUID, command: PlaceOrder) -> list[dict[str, Any]]:
    return [
        {
            "id": uuid.uuid4(),
            "order_id": order_id,
            "ticket_type_id": item.ticket_type_id,
            "position": position,
            "name": person.name,
            "child_nombre": person.child.nombre if person.child else None,
            "child_rut": person.child.rut if person.child else None,
            "child_fecha_nacimiento": person.child.fecha_nacimiento if person.child else None,
        }
        for item in command.items
        for position, person in enumerate(item.attendees or ())
    ]


async def _insert_order(
    uow: UnitOfWork, order_id: uuid.UUID, command: PlaceOrder, user: Principal, buyer_email: str
) -> None:
    await uow.session.execute(
        orders.insert().values(
            id=order_id,
            user_id=user.user_id,
            event_id=command.event_id,
            buyer_name=command.buyer_name,
            buyer_email=buyer_email,
        )
    )
    await uow.session.execute(
        order_items.insert(),
        [
            {"order_id": order_id, "ticket_type_id": item.ticket_type_id, "quantity": item.quantity}
            for item in command.items
        ],
    )
    people = _attendee_rows(order_id, command)
    if people:
        await uow.session.execute(attendees.insert(), people)


async def place_order(
    purchases: Purchases, command: PlaceOrder, user: Principal, *, order_id: uuid.UUID | None = None
) -> uuid.UUID:
    order_id = order_id or uuid.uuid4()
    buyer_email = verified_buyer_email(
        user, command.buyer_email, special_use_domains=purchases.settings.is_development
    )
    async with purchases.uow_factory() as uow:
        if await get_order(uow, order_id) is not None:
            return order_id  # the same Idempotency-Key again: the order already exists
        await check_order_rate(uow, user.user_id, purchases.settings.orders_per_minute)
        await _check_against_catalogue(uow, command)
        await _insert_order(uow, order_id, command, user, buyer_email)
        await purchases.outbox.add(
            uow,
            OrderPlacedV1(
                order_id=order_id,
                event_id=command.event_id,
                user_id=user.user_id,
                lines=tuple(
                    OrderLine(ticket_type_id=item.ticket_type_id, quantity=item.quantity)
                    for item in command.items
                ),
                placed_at=datetime.now(UTC),
                buyer_email=buyer_email,
                buyer_name=command.buyer_name,
            ),
            correlation_id=str(order_id),
        )
    return order_id


ORDER_ID_NAMESPACE = uuid.UUID("6b1e1f0e-6a53-4c51-9a7e-7f3d0f4b7c21")


def order_id_for(user: Principal, idempotency_key: str | None) -> uuid.UUID:
    """With an Idempotency-Key the order id is derived from it (per buyer), so a retry finds the
    order it already placed even if the stored answer was lost (a crash after the commit)."""
    if not idempotency_key:
        return uuid.uuid4()
    return uuid.uuid5(ORDER_ID_NAMESPACE, f"{user.token_kind}:{user.user_id}:{idempotency_key}")


async def place_order_and_wait(
    purchases: Purchases,
    command: PlaceOrder,
    user: Principal,
    wait_seconds: float,
    idempotency_key: str | None = None,
) -> OrderView:
    """Place the order and wait (without polling) until it leaves ``pending`` or time runs out."""
    order_id = order_id_for(user, idempotency_key)
    if purchases.updates is None:
        raise RuntimeError("waiting for a decision needs the API's OrderUpdates")
    # Wait for the answer before the order exists, so the worker's answer cannot arrive unheard.
    async with purchases.updates.subscribe(order_id) as updates:
        await place_order(purchases, command, user, order_id=order_id)
        view = await get_order_view(purchases, order_id, user)
        if view.order.status == OrderStatus.PENDING and wait_seconds > 0:
            await updates.wait(wait_seconds)
            view = await get_order_view(purchases, order_id, user)
    if view.order.status == OrderStatus.REJECTED and view.order.reason == "limit_exceeded":
        raise HoldLimitExceeded(
            "This order would pass the tickets one buyer may hold unpaid for this event: "
            "pay or cancel your pending orders first"
        )
    return view


async def _view(uow: UnitOfWork, order: OrderRow) -> OrderView:
    return OrderView(order, await order_lines(uow, order.id), await order_tickets(uow, order.id))


def _visible_to(order: OrderRow, user: Principal) -> bool:
    return user.role == "admin" or order.user_id == user.user_id


async def get_order_view(purchases: Purchases, order_id: uuid.UUID, user: Principal) -> OrderView:
    async with purchases.uow_factory() as uow:
        order = await get_order(uow, order_id)
        if order is None or not _visible_to(order, user):
            raise OrderNotFound()  # another buyer's order does not exist for you
        return await _view(uow, order)


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

"""One order as the read model knows it: its lines, its Mercado Pago payment, its refunds and its
tickets, for the console's order page. Scoped like the event's dashboard: an order of an event
outside the caller's scope is "no such order", exactly like an unknown one."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_svc.adapters.tables import event_staff, events, order_lines, orders, refunds, tickets
from admin_svc.service.status import order_status
from crowdify.auth.principal import Principal
from crowdify.errors import ProblemError
from crowdify.event_staff import is_event_in_scope


def order_not_found() -> ProblemError:
    return ProblemError("No such order", status=404, code="order_not_found")


async def order_detail(session: AsyncSession, principal: Principal, order_id: UUID) -> dict[str, Any]:
    order = (
        (
            await session.execute(
                select(orders, order_status().label("status"), events.c.name.label("event_name"))
                .select_from(orders.outerjoin(events, events.c.event_id == orders.c.event_id))
                .where(orders.c.order_id == order_id)
            )
        )
        .mappings()
        .first()
    )
    if order is None or not await is_event_in_scope(session, event_staff, principal, order["event_id"]):
        raise order_not_found()
    lines = (await session.execute(order_lines.select().where(order_lines.c.order_id == order_id))).mappings()
    refund_rows = (
        await session.execute(
            refunds.select().where(refunds.c.order_id == order_id).order_by(refunds.c.refunded_at)
        )
    ).mappings()
    ticket_rows = (
        await session.execute(
            tickets.select().where(tickets.c.order_id == order_id).order_by(tickets.c.ticket_id)
        )
    ).mappings()
    refund_list = [_refund(row) for row in refund_rows]
    return {
        **{key: order[key] for key in _ORDER_FIELDS},
        "refunded": sum(r["amount"] or 0 for r in refund_list),
        "lines": [dict(line) for line in lines],
        "payments": _payments(order, refund_list),
        "refunds": refund_list,
        "tickets": [_ticket(row) for row in ticket_rows],
    }


_ORDER_FIELDS = (
    "order_id",
    "event_id",
    "event_name",
    "status",
    "user_id",
    "buyer_name",
    "buyer_email",
    "total",
    "currency",
    "placed_at",
    "hold_expires_at",
    "paid_at",
    "expired_at",
    "cancelled_at",
    "rejection_reason",
)


def _refund(row: Any) -> dict[str, Any]:
    return {
        "refund_id": row["refund_id"],
        "amount": row["amount"],
        "currency": row["currency"],
        "cause": row["cause"],
        "full": row["full_refund"],
        "ticket_ids": list(row["ticket_ids"]),
        "refunded_at": row["refunded_at"],
    }


def _payments(order: Any, refund_list: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order's Mercado Pago payment (one per order), with what the refunds left of it."""
    if order["payment_id"] is None:
        return []
    amount = order["paid_total"]
    refunded = sum(r["amount"] or 0 for r in refund_list)
    if any(r["cause"] == "chargeback" for r in refund_list):
        status = "charged_back"
    elif any(r["full"] for r in refund_list) or (amount is not None and refund_list and refunded >= amount):
        status = "refunded"
    elif refund_list:
        status = "partially_refunded"
    else:
        status = "approved"
    return [
        {
            "payment_id": order["payment_id"],
            "provider": "mercado_pago",
            "status": status,
            "amount": amount,
            "refunded": refunded,
            "currency": order["currency"],
            "paid_at": order["paid_at"],
        }
    ]


def _ticket(row: Any) -> dict[str, Any]:
    return {
        "ticket_id": row["ticket_id"],
        "ticket_type_id": row["ticket_type_id"],
        "ticket_type_name": row["ticket_type_name"],
        "holder_name": row["holder_name"],
        "issued_at": row["issued_at"],
        "revoked_at": row["revoked_at"],
    }

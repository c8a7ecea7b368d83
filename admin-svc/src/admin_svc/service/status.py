"""An order's status, derived from the facts the read model holds (whatever order they came in)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select

from admin_svc.adapters.tables import orders, refunds


def order_status() -> ColumnElement[str]:
    """refunded > cancelled > paid > expired > rejected > awaiting_payment > pending: a later,
    stronger fact wins (an expired order paid late and taken again is paid)."""
    fully_refunded = exists().where(refunds.c.order_id == orders.c.order_id, refunds.c.full_refund)
    return case(
        (fully_refunded, literal("refunded")),
        (orders.c.cancelled_at.is_not(None), literal("cancelled")),
        (orders.c.paid_at.is_not(None), literal("paid")),
        (orders.c.expired_at.is_not(None), literal("expired")),
        (orders.c.rejected_at.is_not(None), literal("rejected")),
        (orders.c.held_at.is_not(None), literal("awaiting_payment")),
        else_=literal("pending"),
    )


def refunded_amount() -> ColumnElement[int]:
    return (
        select(func.coalesce(func.sum(refunds.c.amount), 0))
        .where(refunds.c.order_id == orders.c.order_id)
        .scalar_subquery()
    )


def is_sold() -> ColumnElement[bool]:
    """The order's tickets were sold (paid, and not cancelled before payment)."""
    return and_(orders.c.paid_at.is_not(None))

"""The messages that announce what happened to an order, each built in one place."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderPaidV1, OrderRefundedV1
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox
from purchase_svc.adapters.orders import OrderLineRow, OrderRow, order_lines
from purchase_svc.adapters.tables import catalog_events
from purchase_svc.service.commands import RefundCause
from purchase_svc.service.tickets import RevokedTicket


async def buyer_notice(uow: UnitOfWork, order: OrderRow) -> dict[str, Any]:
    """The optional fields of an order's messages that let notification-svc write to the buyer
    (contact, event name and date from the catalogue replica) without calling back."""
    snapshot = (
        await uow.session.execute(
            select(catalog_events.c.snapshot).where(catalog_events.c.id == order.event_id)
        )
    ).scalar()
    event: dict[str, Any] = dict(snapshot) if snapshot else {}
    return {
        "buyer_email": order.buyer_email,
        "buyer_name": order.buyer_name,
        "user_id": order.user_id,
        "event_name": event.get("name"),
        "event_starts_at": event.get("starts_at"),
        "currency": order.currency,
    }


def message_lines(lines: Iterable[OrderLineRow]) -> tuple[OrderLine, ...]:
    return tuple(OrderLine(ticket_type_id=line.ticket_type_id, quantity=line.quantity) for line in lines)


async def publish_paid(
    outbox: Outbox, uow: UnitOfWork, order: OrderRow, paid_at: datetime, payment_id: str
) -> None:
    await outbox.add(
        uow,
        OrderPaidV1(
            order_id=order.id,
            event_id=order.event_id,
            lines=message_lines(await order_lines(uow, order.id)),
            paid_at=paid_at,
            total=order.total,
            currency=order.currency,
            payment_id=payment_id,
        ),
        correlation_id=str(order.id),
    )


@dataclass(frozen=True)
class RefundNotice:
    """What a refund announcement says beyond the order and the tickets revoked."""

    refund_id: uuid.UUID
    amount: int
    full: bool
    reason: str
    cause: RefundCause
    chargeback: bool = False


async def publish_refunded(
    outbox: Outbox, uow: UnitOfWork, order: OrderRow, revoked: list[RevokedTicket], notice: RefundNotice
) -> None:
    """``OrderRefundedV1`` with the refunded quantities per ticket type: those of the tickets
    revoked, or, when none had been issued (a late payment refused), the order's lines."""
    counts = Counter(ticket.ticket_type_id for ticket in revoked)
    if not counts:
        counts = Counter({line.ticket_type_id: line.quantity for line in await order_lines(uow, order.id)})
    await outbox.add(
        uow,
        OrderRefundedV1(
            order_id=order.id,
            event_id=order.event_id,
            refund_id=str(notice.refund_id),
            lines=tuple(OrderLine(ticket_type_id=k, quantity=v) for k, v in sorted(counts.items(), key=str)),
            ticket_ids=tuple(ticket.id for ticket in revoked),
            full=notice.full,
            amount=notice.amount,
            reason=notice.reason,
            cause=notice.cause.value,
            chargeback=notice.chargeback,
            **await buyer_notice(uow, order),
        ),
        correlation_id=str(order.id),
    )

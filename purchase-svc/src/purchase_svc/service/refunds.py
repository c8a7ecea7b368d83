"""Admin refunds: the whole order or some of its tickets.

:func:`refund_order` works in three steps so a crash or a provider error never refunds twice:

1. under the order's row lock: check the order is paid (or partially refunded), the tickets are
   its own and still valid, and no other refund is in flight; write a ``refunds`` row
   (``requested``) whose id gives the stable ``X-Idempotency-Key`` ``refund-<refund id>``; commit.
2. ask Mercado Pago for the refund with that key (a full refund when everything left is refunded
   and nothing was refunded before, else ``amount`` = the sum of the tickets' unit prices).
3. under the lock again: the row becomes ``completed``, the tickets ``revoked``, the order
   ``partially_refunded`` or ``refunded``, and ``OrderRefundedV1`` carries the refunded lines.

If step 2 fails the row becomes ``failed`` and the caller gets ``503``; asking again makes a new
refund row (Mercado Pago had refused the old key's request, so nothing is paid out twice). While a
refund is ``requested``, the payment sync leaves a ``refunded`` payment to it (no double
``OrderRefundedV1``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import RowMapping

from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderRefundedV1
from crowdify.errors import Conflict, NotFound, ProblemError
from purchase_svc.adapters.mercadopago import PaymentProviderRejected, PaymentProviderUnavailable
from purchase_svc.adapters.orders import lock_order, transition
from purchase_svc.adapters.tables import order_items, payments, refunds, tickets
from purchase_svc.domain.order import OrderEvent, OrderStatus
from purchase_svc.service.orders import EVENT_CANCELLATION_ACTOR, buyer_notice
from purchase_svc.service.payments import PaymentSync
from purchase_svc.service.tickets import revoke_tickets

REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


@dataclass(frozen=True)
class RefundResult:
    id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    ticket_ids: list[uuid.UUID]
    reason: str
    status: str
    full: bool
    order_status: str
    provider_refund_id: str | None


def refund_key(refund_id: uuid.UUID) -> str:
    return f"refund-{refund_id}"


async def refund_order(
    sync: PaymentSync,
    order_id: uuid.UUID,
    ticket_ids: list[uuid.UUID] | None,
    reason: str,
    actor: str,
) -> RefundResult:
    """Refund ``ticket_ids`` of the order (all its valid tickets when None); ``actor`` is recorded
    with the reason. Raises NotFound (404), Conflict (409), ProblemError 422/503."""
    refund_id = uuid.uuid4()
    async with sync.uow_factory() as uow:
        order = await lock_order(uow, order_id)
        if order is None:
            raise NotFound("No such order")
        if OrderStatus(order["status"]) not in REFUNDABLE:
            raise Conflict(f"A {order['status']} order cannot be refunded")
        in_flight = await uow.session.execute(
            select(refunds.c.id).where(refunds.c.order_id == order_id, refunds.c.status == "requested")
        )
        if in_flight.first() is not None:
            raise Conflict("Another refund of this order is in progress")
        valid = (
            (
                await uow.session.execute(
                    select(tickets.c.id, tickets.c.ticket_type_id).where(
                        tickets.c.order_id == order_id, tickets.c.status == "valid"
                    )
                )
            )
            .mappings()
            .all()
        )
        by_id = {t["id"]: t for t in valid}
        wanted = list(dict.fromkeys(ticket_ids)) if ticket_ids is not None else list(by_id)
        unknown = [str(t) for t in wanted if t not in by_id]
        if unknown:
            raise ProblemError(
                "These tickets are not valid tickets of this order",
                status=422,
                code="invalid_tickets",
                tickets=unknown,
            )
        if not wanted:
            raise ProblemError("Nothing to refund", status=422, code="nothing_to_refund")
        prices = {
            row["ticket_type_id"]: row["unit_price"] or 0
            for row in (
                await uow.session.execute(select(order_items).where(order_items.c.order_id == order_id))
            )
            .mappings()
            .all()
        }
        amount = sum(prices.get(by_id[t]["ticket_type_id"], 0) for t in wanted)
        payment = (
            (
                await uow.session.execute(
                    select(payments)
                    .where(
                        payments.c.order_id == order_id,
                        payments.c.status == "approved",
                        payments.c.refused_reason.is_(None),
                    )
                    .order_by(payments.c.date_last_updated.desc().nulls_last())
                )
            )
            .mappings()
            .first()
        )
        if payment is None:
            raise Conflict("The order has no approved Mercado Pago payment to refund")
        refunded_before = (
            await uow.session.execute(
                select(func.count())
                .select_from(refunds)
                .where(refunds.c.order_id == order_id, refunds.c.status == "completed")
            )
        ).scalar_one()
        full = len(wanted) == len(by_id)
        whole_payment = full and not refunded_before
        await uow.session.execute(
            refunds.insert().values(
                id=refund_id,
                order_id=order_id,
                payment_id=payment["id"],
                idempotency_key=refund_key(refund_id),
                amount=payment["amount"] if whole_payment else amount,
                ticket_ids=[str(t) for t in wanted],
                reason=f"{reason} (by {actor})"[:200],
                status="requested",
            )
        )
        payment_id = str(payment["id"])
        amount = int(payment["amount"]) if whole_payment else amount

    try:
        answer: dict[str, Any] = await sync.mercadopago.refund(
            payment_id, amount=None if whole_payment else amount, idempotency_key=refund_key(refund_id)
        )
    except (PaymentProviderUnavailable, PaymentProviderRejected) as error:
        async with sync.uow_factory() as uow:
            await uow.session.execute(
                refunds.update().where(refunds.c.id == refund_id).values(status="failed")
            )
        if isinstance(error, PaymentProviderRejected):
            raise ProblemError(
                "Mercado Pago refused the refund",
                status=409,
                code="refund_refused",
                provider_status=error.status,
            ) from error
        raise ProblemError(
            "Mercado Pago is unavailable; try again later", status=503, code="payment_provider_unavailable"
        ) from error

    provider_refund_id = str(answer["id"]) if answer.get("id") is not None else None
    async with sync.uow_factory() as uow:
        order = await lock_order(uow, order_id)
        assert order is not None
        await uow.session.execute(
            refunds.update()
            .where(refunds.c.id == refund_id)
            .values(status="completed", provider_refund_id=provider_refund_id, completed_at=func.now())
        )
        revoked: list[RowMapping] = await revoke_tickets(uow, order_id, wanted)
        remaining = (
            await uow.session.execute(
                select(func.count())
                .select_from(tickets)
                .where(tickets.c.order_id == order_id, tickets.c.status == "valid")
            )
        ).scalar_one()
        event = OrderEvent.REFUNDED if remaining == 0 else OrderEvent.PARTIALLY_REFUNDED
        new_status = await transition(uow, order, event) or OrderStatus(order["status"])
        counts = Counter(t["ticket_type_id"] for t in revoked)
        if revoked:
            await sync.outbox.add(
                uow,
                OrderRefundedV1(
                    order_id=order_id,
                    event_id=order["event_id"],
                    refund_id=str(refund_id),
                    lines=tuple(
                        OrderLine(ticket_type_id=k, quantity=v) for k, v in sorted(counts.items(), key=str)
                    ),
                    ticket_ids=tuple(t["id"] for t in revoked),
                    full=remaining == 0,
                    amount=amount,
                    reason=reason,
                    cause="event_cancelled" if actor == EVENT_CANCELLATION_ACTOR else "admin",
                    **await buyer_notice(uow, order),
                ),
                correlation_id=str(order_id),
            )
    return RefundResult(
        id=refund_id,
        order_id=order_id,
        amount=amount,
        ticket_ids=[t["id"] for t in revoked],
        reason=reason,
        status="completed",
        full=remaining == 0,
        order_status=new_status.value,
        provider_refund_id=provider_refund_id,
    )

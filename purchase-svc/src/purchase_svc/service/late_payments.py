"""A payment approved after its order's hold expired, or after the order was cancelled.

``OrderPaidV1`` asks event-svc to take the tickets again (``late_payment='requested'`` while its
answer is awaited); the answer comes back as ``SaleConfirmedV1`` (the order becomes ``paid`` with
``late_payment='accepted'``) or ``SaleRefusedV1`` (full refund with the idempotency key
``late-<order id>``, order ``refunded`` with ``late_payment='refunded'``). A cancelled order cannot
become paid again, so a confirmation for it is refunded the same way. A ``SaleRefusedV1`` for an
order already paid (its hold lapsed at event-svc just before the payment) refunds it too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func

from crowdify.contracts.catalog import SaleConfirmedV1, SaleRefusedV1
from crowdify.db import UnitOfWork
from purchase_svc.adapters.mercadopago_answers import provider_refund_id
from purchase_svc.adapters.orders import OrderRow, get_order, lock_order, transition
from purchase_svc.adapters.payments import PaymentRow, latest_approved_payment, refund_id_for_key
from purchase_svc.adapters.tables import orders, refunds
from purchase_svc.domain.order import OrderEvent, OrderStatus
from purchase_svc.service.commands import RefundCause
from purchase_svc.service.context import Purchases
from purchase_svc.service.order_messages import RefundNotice, publish_paid, publish_refunded
from purchase_svc.service.tickets import issue_tickets, revoke_tickets

log = logging.getLogger(__name__)

LATE_REFUND_REASON = "late payment: the tickets were no longer available"


def late_refund_key(order_id: uuid.UUID) -> str:
    """The stable X-Idempotency-Key of the refund of a late payment nobody could take."""
    return f"late-{order_id}"


async def request_late_payment(
    purchases: Purchases, uow: UnitOfWork, order: OrderRow, payment_id: str
) -> str:
    """An approved payment of an expired or cancelled order: ask event-svc whether the tickets
    can still be had; its answer settles the order."""
    if order.late_payment is not None:
        return "late_payment_pending"
    await uow.session.execute(orders.update().where(orders.c.id == order.id).values(late_payment="requested"))
    await publish_paid(purchases.outbox, uow, order, datetime.now(UTC), payment_id)
    return "late_payment_requested"


def _refund_on_confirmation(order: OrderRow) -> bool:
    # Cancelled orders never become paid: give the money back, and the seats too.
    return order.status == OrderStatus.CANCELLED and order.late_payment == "requested"


def _refund_on_refusal(order: OrderRow) -> bool:
    # A late payment nobody can take; or an order paid just as its hold lapsed at event-svc, whose
    # tickets were gone by then: the tickets issued here have no seat behind them.
    return order.late_payment == "requested" or (
        order.status == OrderStatus.PAID and order.late_payment is None
    )


async def on_sale_confirmed(purchases: Purchases, uow: UnitOfWork, event: SaleConfirmedV1) -> str:
    seen = await get_order(uow, event.order_id)
    if seen is None:
        return "unknown_order"
    if _refund_on_confirmation(seen):
        return await _refund_late_payment(purchases, uow, seen.id, _refund_on_confirmation)
    order = await lock_order(uow, event.order_id)
    if order is None or order.status != OrderStatus.EXPIRED or order.late_payment != "requested":
        return "unchanged"  # the ordinary confirmation of a paid order, or a redelivery
    now = datetime.now(UTC)
    await transition(uow, order, OrderEvent.LATE_PAYMENT_ACCEPTED, paid_at=now, late_payment="accepted")
    issued = await issue_tickets(uow, order, purchases.signing_key, now=now)
    if issued is not None:
        await purchases.outbox.add(uow, issued, correlation_id=str(order.id))
    return "paid"


async def on_sale_refused(purchases: Purchases, uow: UnitOfWork, event: SaleRefusedV1) -> str:
    seen = await get_order(uow, event.order_id)
    if seen is None:
        return "unknown_order"
    if not _refund_on_refusal(seen):
        return "unchanged"
    return await _refund_late_payment(purchases, uow, seen.id, _refund_on_refusal)


async def _record_late_refund(
    uow: UnitOfWork, paid: PaymentRow, key: str, provider_id: str | None
) -> uuid.UUID:
    """Write the refund's row, or complete the one a concurrent delivery wrote under ``key``;
    returns its id."""
    values = {
        "order_id": paid.order_id,
        "payment_id": paid.id,
        "provider_refund_id": provider_id,
        "amount": paid.amount,
        "reason": LATE_REFUND_REASON,
        "status": "completed",
        "completed_at": func.now(),
    }
    earlier = await refund_id_for_key(uow, key)
    if earlier is not None:
        await uow.session.execute(refunds.update().where(refunds.c.id == earlier).values(**values))
        return earlier
    refund_id = uuid.uuid4()
    await uow.session.execute(refunds.insert().values(id=refund_id, idempotency_key=key, **values))
    return refund_id


async def _refund_late_payment(
    purchases: Purchases, uow: UnitOfWork, order_id: uuid.UUID, still_due: Callable[[OrderRow], bool]
) -> str:
    """Refund the order's payment in full, then settle the order under its row lock if
    ``still_due`` holds there. Mercado Pago is called before the lock is taken (ADR 0017); the
    stable key makes a concurrent or redelivered attempt the same refund."""
    paid = await latest_approved_payment(uow, order_id)
    if paid is None:
        log.warning("late payment of order %s: no approved payment to refund", order_id)
        return "unchanged"
    key = late_refund_key(order_id)
    answer = await purchases.mercadopago.refund(paid.id, amount=None, idempotency_key=key)
    order = await lock_order(uow, order_id)
    refund_id = await _record_late_refund(uow, paid, key, provider_refund_id(answer))
    if order is None or not still_due(order):
        # Settled by a concurrent delivery meanwhile: the money went back once, and is on record.
        return "unchanged"
    event = OrderEvent.REFUNDED if order.status == OrderStatus.PAID else OrderEvent.LATE_PAYMENT_REFUSED
    await transition(uow, order, event, late_payment="refunded")
    revoked = await revoke_tickets(uow, order.id)
    notice = RefundNotice(
        refund_id=refund_id,
        amount=int(paid.amount),
        full=True,
        reason=LATE_REFUND_REASON,
        cause=RefundCause.LATE_PAYMENT,
    )
    await publish_refunded(purchases.outbox, uow, order, revoked, notice)
    return "refunded"

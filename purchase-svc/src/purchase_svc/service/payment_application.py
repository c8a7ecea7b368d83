"""Applying a Mercado Pago payment to its order. A notification is only a trigger; the truth is
fetched from the API.

docs/design.md (the purchase saga, step 4), as this service does it:

1. The webhook stores the notification and writes ``purchase.payment.notified.v1`` to the outbox
   in the same transaction (``api/webhook.py``); nothing else happens in the request.
2. purchase-svc's worker consumes that message and calls :func:`sync_payment`: the payment is
   fetched with our token, mapped to its order by ``external_reference`` and checked (amount and
   currency equal to the order's); a mismatch is recorded on the payment and never applied.
3. Under the order's row lock the state machine decides; a snapshot older than the one stored
   (``date_last_updated``) is ignored, so duplicates and reordering change nothing.

What each payment status does to the order:

- ``approved`` and the order ``awaiting_payment``: ``paid``, tickets issued once, ``OrderPaidV1``
  and ``TicketsIssuedV1`` emitted.
- ``approved`` and the order ``expired`` or ``cancelled``: a late payment
  (``service/late_payments.py``): ``OrderPaidV1`` asks event-svc to take the tickets again and
  ``late_payment`` is ``requested`` while its answer is awaited.
- ``refunded`` or ``charged_back`` and the order paid: ``refunded``, every ticket revoked,
  ``OrderRefundedV1`` (full, cause ``provider``) emitted.
- anything else (pending, in_process, rejected, cancelled): recorded, nothing more.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert

from crowdify.db import UnitOfWork
from purchase_svc.adapters.mercadopago_answers import PaymentSnapshot
from purchase_svc.adapters.orders import OrderRow, lock_order, transition
from purchase_svc.adapters.payments import lock_payment, refund_in_flight, store_payment
from purchase_svc.adapters.tables import refunds
from purchase_svc.domain.order import OrderEvent, OrderStatus
from purchase_svc.service.commands import RefundCause
from purchase_svc.service.context import Purchases
from purchase_svc.service.late_payments import request_late_payment
from purchase_svc.service.order_messages import RefundNotice, publish_paid, publish_refunded
from purchase_svc.service.tickets import issue_tickets, revoke_tickets

log = logging.getLogger(__name__)

REVERSED = frozenset({"refunded", "charged_back"})


async def sync_payment(purchases: Purchases, uow: UnitOfWork, payment_id: str) -> str:
    """Fetch ``payment_id`` from Mercado Pago and apply it; returns what happened (for logs and
    tests). Provider errors propagate, so the message is retried later."""
    body = await purchases.mercadopago.get_payment(payment_id)
    return await apply_payment(purchases, uow, PaymentSnapshot.from_api(body))


def _mismatch(payment: PaymentSnapshot, order: OrderRow) -> str | None:
    """Why the payment cannot be this order's, or None when amount and currency are the order's."""
    if payment.amount is None or order.total is None or payment.amount != order.total:
        return "amount_mismatch"
    if (payment.currency or "").upper() != (order.currency or "").upper():
        return "currency_mismatch"
    return None


async def apply_payment(purchases: Purchases, uow: UnitOfWork, payment: PaymentSnapshot) -> str:
    if payment.order_id is None:
        log.warning("payment %s has no order reference; ignored", payment.id)
        return "unknown_order"
    order = await lock_order(uow, payment.order_id)
    if order is None:
        log.warning("payment %s names an order this service does not know; ignored", payment.id)
        return "unknown_order"

    stored = await lock_payment(uow, payment.id)
    if (
        stored is not None
        and stored.date_last_updated is not None
        and payment.date_last_updated is not None
        and payment.date_last_updated < stored.date_last_updated
    ):
        return "stale"
    if stored is not None and stored.order_id != order.id:
        log.warning("payment %s changed order reference; ignored", payment.id)
        return "refused"

    refused = _mismatch(payment, order)
    await store_payment(uow, payment, order.id, refused)
    if refused is not None:
        log.warning("payment %s refused for order %s: %s", payment.id, order.id, refused)
        return refused

    if payment.status == "approved":
        return await _approved(purchases, uow, order, payment.id)
    if payment.status in REVERSED:
        return await _reversed(purchases, uow, order, payment)
    return "recorded"


async def _approved(purchases: Purchases, uow: UnitOfWork, order: OrderRow, payment_id: str) -> str:
    if order.status is OrderStatus.AWAITING_PAYMENT:
        now = datetime.now(UTC)
        await transition(uow, order, OrderEvent.PAYMENT_APPROVED, paid_at=now)
        await publish_paid(purchases.outbox, uow, order, now, payment_id)
        issued = await issue_tickets(uow, order, purchases.signing_key, now=now)
        if issued is not None:
            await purchases.outbox.add(uow, issued, correlation_id=str(order.id))
        return "paid"
    if order.status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
        return await request_late_payment(purchases, uow, order, payment_id)
    return "unchanged"


async def _reversed(purchases: Purchases, uow: UnitOfWork, order: OrderRow, payment: PaymentSnapshot) -> str:
    """Mercado Pago reports the money went back (a refund made in its panel, a chargeback)."""
    if await refund_in_flight(uow, order.id):
        return "own_refund_in_flight"  # our own refund (service/refunds.py) settles the order
    if await transition(uow, order, OrderEvent.REFUNDED) is None:
        return "unchanged"
    refund_id = uuid.uuid4()
    revoked = await revoke_tickets(uow, order.id)
    amount = max(payment.refunded_amount, 0)
    reason = f"reported by Mercado Pago: {payment.status}"
    await uow.session.execute(
        insert(refunds)
        .values(
            id=refund_id,
            order_id=order.id,
            payment_id=payment.id,
            idempotency_key=f"mp-{payment.id}-{payment.status}"[:64],
            provider_refund_id=None,
            amount=amount,
            ticket_ids=[str(t.id) for t in revoked],
            reason=reason,
            status="external",
            completed_at=func.now(),
        )
        .on_conflict_do_nothing()
    )
    notice = RefundNotice(
        refund_id=refund_id,
        amount=amount,
        full=True,
        reason=reason,
        cause=RefundCause.PROVIDER,
        chargeback=payment.status == "charged_back",
    )
    await publish_refunded(purchases.outbox, uow, order, revoked, notice)
    return "refunded"

"""Handlers for payment messages, registered on purchase-svc's worker consumer.

Wiring (worker.py): ``register_payment_handlers(consumer, purchases)``.

It handles ``purchase.payment.notified.v1`` (written by the webhook: fetch the payment and apply
it) and event-svc's answers to a late payment, ``catalog.sale.confirmed.v1`` and
``catalog.sale.refused.v1`` (for an ordinary paid order the confirmation changes nothing).
Each handler runs in the consumer's transaction after the inbox recorded the message. A Mercado
Pago outage (5xx, 429, timeouts) raises, so the message is retried with the consumer's growing
delays; a 4xx (no such payment: a forged or mistyped notification) is final, recorded and never
retried or parked, so a forged trigger costs one provider call.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, update

from crowdify.contracts.catalog import SaleConfirmedV1, SaleRefusedV1
from crowdify.contracts.tickets import PaymentNotifiedV1
from crowdify.db import UnitOfWork
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope
from purchase_svc.adapters.mercadopago import PaymentProviderRejected
from purchase_svc.adapters.tables import payment_notifications
from purchase_svc.service import late_payments
from purchase_svc.service.context import Purchases
from purchase_svc.service.payment_application import sync_payment

log = logging.getLogger(__name__)


def register_payment_handlers(consumer: Consumer, purchases: Purchases) -> None:
    async def on_notified(event: PaymentNotifiedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        try:
            outcome = await sync_payment(purchases, uow, event.payment_id)
        except PaymentProviderRejected as rejected:
            outcome = f"refused by Mercado Pago ({rejected.status}); not retried"
        if event.notification_id is not None:
            await uow.session.execute(
                update(payment_notifications)
                .where(payment_notifications.c.id == event.notification_id)
                .values(processed_at=func.now())
            )
        log.info("payment %s synced: %s", event.payment_id, outcome)

    async def on_sale_confirmed(event: SaleConfirmedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await late_payments.on_sale_confirmed(purchases, uow, event)

    async def on_sale_refused(event: SaleRefusedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await late_payments.on_sale_refused(purchases, uow, event)

    consumer.on(PaymentNotifiedV1, on_notified)
    consumer.on(SaleConfirmedV1, on_sale_confirmed)
    consumer.on(SaleRefusedV1, on_sale_refused)

"""Unsigned legacy IPN notifications (``?topic=payment&id=``) are triggers anyone can send.

Each trigger costs a call to Mercado Pago's API, so a flood of forged IPNs for one payment id
would be a flood of provider calls. Only the first unsigned IPN for a payment id in
:data:`LEGACY_IPN_WINDOW` triggers a fetch; later ones are stored and answered 200 (Mercado
Pago's own retries look the same) and settled at once, triggering nothing. Signed webhooks
always trigger; an integration on legacy IPN alone may so learn of a change that follows another
within the minute only from the worker's reconciliation of orders still awaiting payment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sqlalchemy import func, select, text

from crowdify.db import UnitOfWork
from purchase_svc.adapters.tables import payment_notifications

LEGACY_IPN_WINDOW: Final = timedelta(minutes=1)


async def first_legacy_ipn_in_window(uow: UnitOfWork, payment_id: str) -> bool:
    """Whether no unsigned IPN for ``payment_id`` arrived in the window; call it before storing
    this one, in the same transaction. Concurrent IPNs for one id queue on an advisory lock, so
    exactly one of them is first."""
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"purchase-svc:legacy-ipn:{payment_id}"},
    )
    earlier = await uow.session.execute(
        select(payment_notifications.c.id)
        .where(
            payment_notifications.c.resource_id == payment_id,
            payment_notifications.c.signature_valid.is_(False),
            payment_notifications.c.query["_format"].astext == "ipn",
            payment_notifications.c.received_at > func.now() - LEGACY_IPN_WINDOW,
        )
        .limit(1)
    )
    return earlier.first() is None

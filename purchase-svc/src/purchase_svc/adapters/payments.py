"""The stored state of Mercado Pago payments and of our refunds, as typed rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from crowdify.db import UnitOfWork
from purchase_svc.adapters.mercadopago_answers import PaymentSnapshot
from purchase_svc.adapters.tables import payments, refunds


@dataclass(frozen=True)
class PaymentRow:
    """One row of ``payments``: the latest state of a payment, as fetched from Mercado Pago."""

    id: str
    order_id: uuid.UUID
    status: str
    status_detail: str | None
    amount: int
    currency: str
    refunded_amount: int
    date_last_updated: datetime | None
    fetched_at: datetime
    refused_reason: str | None


async def lock_payment(uow: UnitOfWork, payment_id: str) -> PaymentRow | None:
    query = select(payments).where(payments.c.id == payment_id).with_for_update()
    row = (await uow.session.execute(query)).mappings().first()
    return PaymentRow(**row) if row is not None else None


async def latest_approved_payment(uow: UnitOfWork, order_id: uuid.UUID) -> PaymentRow | None:
    """The order's approved payment (matching its order) updated last: the one a refund refunds."""
    query = (
        select(payments)
        .where(
            payments.c.order_id == order_id,
            payments.c.status == "approved",
            payments.c.refused_reason.is_(None),
        )
        .order_by(payments.c.date_last_updated.desc().nulls_last())
    )
    row = (await uow.session.execute(query)).mappings().first()
    return PaymentRow(**row) if row is not None else None


async def store_payment(
    uow: UnitOfWork, payment: PaymentSnapshot, order_id: uuid.UUID, refused: str | None
) -> None:
    """Insert or update the payment's row with what Mercado Pago answered."""
    values = {
        "id": payment.id,
        "order_id": order_id,
        "status": payment.status,
        "status_detail": payment.status_detail,
        "amount": payment.amount or 0,
        "currency": (payment.currency or "???")[:3],
        "refunded_amount": payment.refunded_amount,
        "date_last_updated": payment.date_last_updated,
        "refused_reason": refused,
    }
    statement = insert(payments).values(**values)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[payments.c.id],
            set_={**{k: statement.excluded[k] for k in values if k != "id"}, "fetched_at": func.now()},
        )
    )


async def refund_in_flight(uow: UnitOfWork, order_id: uuid.UUID) -> bool:
    """Whether one of our refunds of the order was asked for and not yet settled."""
    query = select(refunds.c.id).where(refunds.c.order_id == order_id, refunds.c.status == "requested")
    return (await uow.session.execute(query)).first() is not None


async def refund_id_for_key(uow: UnitOfWork, idempotency_key: str) -> uuid.UUID | None:
    query = select(refunds.c.id).where(refunds.c.idempotency_key == idempotency_key)
    found: uuid.UUID | None = (await uow.session.execute(query)).scalar()
    return found

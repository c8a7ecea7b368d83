"""Reading a fetched Mercado Pago payment: only what the sync relies on, defensively."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from purchase_svc.adapters.mercadopago_answers import PaymentSnapshot
from purchase_svc.service.late_payments import late_refund_key


def test_a_payment_body_is_read_into_a_snapshot() -> None:
    order_id = uuid.uuid4()
    snapshot = PaymentSnapshot.from_api(
        {
            "id": 1310000000001,
            "external_reference": str(order_id),
            "status": "approved",
            "status_detail": "accredited",
            "transaction_amount": 30000.0,
            "transaction_amount_refunded": 0,
            "currency_id": "CLP",
            "date_last_updated": "2026-11-23T02:34:26.875-04:00",
        }
    )
    assert (snapshot.id, snapshot.order_id, snapshot.status, snapshot.amount, snapshot.currency) == (
        "1310000000001",
        order_id,
        "approved",
        30000,
        "CLP",
    )
    santiago = timezone(timedelta(hours=-4))
    assert snapshot.date_last_updated == datetime(2026, 11, 23, 2, 34, 26, 875000, tzinfo=santiago)


def test_junk_fields_never_raise() -> None:
    snapshot = PaymentSnapshot.from_api(
        {
            "id": "9",
            "external_reference": "not-a-uuid",
            "transaction_amount": "12.5",
            "date_last_updated": "soon",
        }
    )
    assert (snapshot.order_id, snapshot.amount, snapshot.date_last_updated, snapshot.status) == (
        None,
        None,  # a fractional CLP amount matches no order total
        None,
        "unknown",
    )
    naive = PaymentSnapshot.from_api({"id": 1, "date_last_updated": "2026-11-23T10:00:00"})
    assert naive.date_last_updated == datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_the_late_refund_key_is_stable_and_fits_mercado_pago() -> None:
    order_id = uuid.uuid4()
    assert late_refund_key(order_id) == late_refund_key(order_id) == f"late-{order_id}"
    assert 1 <= len(late_refund_key(order_id)) <= 64

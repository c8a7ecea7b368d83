"""Payment sync end to end: the emulator pays and notifies, the webhook queues, the worker fetches
the payment and moves the order. Duplicates, reordering, late payments, reversals, mismatches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from crowdify.contracts.base import Contract
from crowdify.contracts.catalog import SaleConfirmedV1, SaleRefusedV1
from crowdify.messaging import Envelope, Publisher
from crowdify.testing import wait_until
from crowdify.tickets import verify_ticket
from purchase_svc.adapters.mercadopago_answers import PaymentSnapshot
from purchase_svc.adapters.tables import payment_notifications, refunds
from purchase_svc.service import late_payments
from purchase_svc.service.late_payments import late_refund_key
from purchase_svc.service.payment_application import apply_payment
from purchase_svc.service.reconciliation import reconcile_stuck_orders
from tests.integration.payments_fixtures import (
    PaymentsEnv,
    mp_emulator_url,
    payments_database,
    payments_env,
    payments_rabbit,
    payments_settings,
)

__all__ = ["mp_emulator_url", "payments_database", "payments_env", "payments_rabbit", "payments_settings"]

PAID = "purchase.order.paid.v1"
ISSUED = "purchase.tickets.issued.v1"
REFUNDED = "purchase.order.refunded.v1"


async def _processed(env: PaymentsEnv, payment_id: str) -> int:
    async with env.purchases.uow_factory() as uow:
        rows = await uow.session.execute(
            select(payment_notifications.c.id).where(
                payment_notifications.c.resource_id == payment_id,
                payment_notifications.c.processed_at.is_not(None),
            )
        )
        return len(rows.all())


async def _wait_status(env: PaymentsEnv, order_id: uuid.UUID, status: str, **expected: Any) -> dict[str, Any]:
    async def reached() -> dict[str, Any] | None:
        order = await env.order(order_id)
        ok = order["status"] == status and all(order[k] == v for k, v in expected.items())
        return order if ok else None

    found: dict[str, Any] = await wait_until(reached, within=15, message=f"order {status} {expected}")
    return found


async def _send(env: PaymentsEnv, event: Contract, order_id: uuid.UUID) -> None:
    """Publish ``event`` on the bus, as event-svc would."""
    async with Publisher(env.settings.amqp_url, env.settings.amqp_exchange) as publisher:
        await publisher.publish(Envelope.wrap(event, correlation_id=str(order_id)))


async def test_approved_payment_issues_signed_tickets_once_despite_five_deliveries(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(quantity=2, attendee_names=["Ana Pérez", "Tomás Pérez"])
    paid = await env.control.pay(preference_id, "approved", duplicates=5)
    payment_id = str(paid["payment_id"])
    await env.control.wait_for_deliveries(5, payment_id=payment_id)

    async def all_processed() -> bool:
        # The emulator sends payment.created and payment.updated, five times each.
        deliveries = await env.control.deliveries(payment_id=payment_id)
        done = [d for d in deliveries if d["state"] == "delivered"]
        return len(done) == len(deliveries) >= 5 and await _processed(env, payment_id) == len(done)

    await wait_until(all_processed, within=15, message="every notification processed")
    order = await env.order(order_id)
    assert order["status"] == "paid" and order["paid_at"] is not None

    issued = await env.tickets(order_id)
    assert sorted(t["holder_name"] for t in issued) == ["Ana Pérez", "Tomás Pérez"]
    keyring = env.settings.ticket_keyring()
    for ticket in issued:
        claims = verify_ticket(ticket["qr_payload"], keyring)
        assert (claims.ticket_id, claims.event_id) == (ticket["id"], order["event_id"])
    assert len(await env.messages(order_id, PAID)) == 1
    [announcement] = await env.messages(order_id, ISSUED)
    payload = announcement["payload"]
    assert payload["buyer_email"] == "ana@example.com" and len(payload["tickets"]) == 2
    assert {t["child_nombre"] for t in payload["tickets"]} == {None, "Tomás Pérez"}
    assert {t["qr_payload"] for t in payload["tickets"]} == {t["qr_payload"] for t in issued}
    [payment] = await env.payments(order_id)
    assert (payment["id"], payment["status"], payment["amount"]) == (payment_id, "approved", 30000)


async def test_approved_after_refunded_leaves_the_order_refunded(payments_env: PaymentsEnv) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(quantity=3)
    payment_id = str((await env.control.pay(preference_id, "approved"))["payment_id"])
    await _wait_status(env, order_id, "paid")
    await env.control.set_status(int(payment_id), "refunded")
    await _wait_status(env, order_id, "refunded")
    assert {t["status"] for t in await env.tickets(order_id)} == {"revoked"}
    [refund] = await env.messages(order_id, REFUNDED)
    assert refund["payload"]["full"] is True
    assert [line["quantity"] for line in refund["payload"]["lines"]] == [3]

    # An "approved" snapshot older than the stored one (a reordered notification) is ignored...
    body = await env.purchases.mercadopago.get_payment(payment_id)
    stale = PaymentSnapshot.from_api(body)
    assert stale.date_last_updated is not None
    stale = PaymentSnapshot(
        **{
            **stale.__dict__,
            "status": "approved",
            "date_last_updated": stale.date_last_updated - timedelta(hours=1),
        }
    )
    async with env.purchases.uow_factory() as uow:
        assert await apply_payment(env.purchases, uow, stale) == "stale"
    # ...and a late re-delivery of the approval finds the payment refunded at Mercado Pago.
    await env.control.notify_again(int(payment_id))

    async def three_processed() -> bool:
        return await _processed(env, payment_id) >= 3

    await wait_until(three_processed, within=15, message="re-delivery processed")
    assert (await env.order(order_id))["status"] == "refunded"
    assert len(await env.messages(order_id, REFUNDED)) == 1
    assert len(await env.messages(order_id, ISSUED)) == 1


async def test_amount_mismatch_is_recorded_and_refused(payments_env: PaymentsEnv) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(unit_price=15000, preference_unit_price=1000)
    await env.control.pay(preference_id, "approved")

    async def refused() -> list[dict[str, Any]]:
        return [p for p in await env.payments(order_id) if p["refused_reason"] == "amount_mismatch"]

    await wait_until(refused, within=15, message="payment refused")
    assert (await env.order(order_id))["status"] == "awaiting_payment"
    assert await env.tickets(order_id) == []
    assert await env.messages(order_id, PAID) == []


async def test_late_payment_accepted_when_event_svc_confirms(payments_env: PaymentsEnv) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(status="expired", attendee_names=["Ana", "Beto"])
    await env.control.pay(preference_id, "approved")
    order = await _wait_status(env, order_id, "expired", late_payment="requested")
    assert len(await env.messages(order_id, PAID)) == 1  # event-svc is asked to take the tickets again
    assert await env.tickets(order_id) == []

    await _send(
        env, SaleConfirmedV1(order_id=order_id, event_id=order["event_id"], from_expired_hold=True), order_id
    )
    order = await _wait_status(env, order_id, "paid", late_payment="accepted")
    assert order["paid_at"] is not None
    assert sorted(t["holder_name"] for t in await env.tickets(order_id)) == ["Ana", "Beto"]
    assert len(await env.messages(order_id, ISSUED)) == 1

    # A redelivered confirmation (a new envelope) changes nothing.
    async with env.purchases.uow_factory() as uow:
        again = SaleConfirmedV1(order_id=order_id, event_id=order["event_id"], from_expired_hold=True)
        assert await late_payments.on_sale_confirmed(env.purchases, uow, again) == "unchanged"
    assert len(await env.tickets(order_id)) == 2


async def test_late_payment_refunded_in_full_when_event_svc_refuses(payments_env: PaymentsEnv) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(status="expired", quantity=2, unit_price=12000)
    payment_id = str((await env.control.pay(preference_id, "approved"))["payment_id"])
    order = await _wait_status(env, order_id, "expired", late_payment="requested")

    await _send(
        env, SaleRefusedV1(order_id=order_id, event_id=order["event_id"], reason="sold_out"), order_id
    )
    await _wait_status(env, order_id, "refunded", late_payment="refunded")
    at_mp = await env.purchases.mercadopago.get_payment(payment_id)
    assert (at_mp["status"], at_mp["transaction_amount_refunded"]) == ("refunded", 24000)
    async with env.purchases.uow_factory() as uow:
        rows = (
            (await uow.session.execute(select(refunds).where(refunds.c.order_id == order_id)))
            .mappings()
            .all()
        )
    assert [(r["idempotency_key"], r["amount"], r["status"]) for r in rows] == [
        (late_refund_key(order_id), 24000, "completed")
    ]
    [message] = await env.messages(order_id, REFUNDED)
    assert message["payload"]["full"] is True
    assert await env.tickets(order_id) == []

    # Refused again (a redelivery): no second refund.
    async with env.purchases.uow_factory() as uow:
        again = SaleRefusedV1(order_id=order_id, event_id=order["event_id"], reason="sold_out")
        assert await late_payments.on_sale_refused(env.purchases, uow, again) == "unchanged"
    assert len(await env.messages(order_id, REFUNDED)) == 1


async def test_reconciliation_finds_a_payment_whose_notification_was_lost(payments_env: PaymentsEnv) -> None:
    env = payments_env
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    order_id, preference_id = await env.create_order(notify=False, updated_at=long_ago)
    await env.control.pay(preference_id, "approved")
    assert (await env.order(order_id))["status"] == "awaiting_payment"
    assert await reconcile_stuck_orders(env.purchases, older_than=timedelta(minutes=30)) >= 1
    assert (await env.order(order_id))["status"] == "paid"
    assert len(await env.tickets(order_id)) == 2


async def test_late_payment_of_a_cancelled_order_is_refunded_even_if_event_svc_confirms(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(status="cancelled", quantity=1, unit_price=5000)
    payment_id = str((await env.control.pay(preference_id, "approved"))["payment_id"])
    order = await _wait_status(env, order_id, "cancelled", late_payment="requested")
    await _send(
        env, SaleConfirmedV1(order_id=order_id, event_id=order["event_id"], from_expired_hold=True), order_id
    )
    await _wait_status(env, order_id, "refunded", late_payment="refunded")
    assert (await env.purchases.mercadopago.get_payment(payment_id))["status"] == "refunded"
    assert await env.tickets(order_id) == []
    # The seats event-svc sold go back with the refund.
    [message] = await env.messages(order_id, REFUNDED)
    assert [line["quantity"] for line in message["payload"]["lines"]] == [1]


async def test_sale_refused_for_an_order_paid_as_its_hold_lapsed_refunds_it(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(quantity=2)
    payment_id = str((await env.control.pay(preference_id, "approved"))["payment_id"])
    order = await _wait_status(env, order_id, "paid")
    await _send(
        env, SaleRefusedV1(order_id=order_id, event_id=order["event_id"], reason="sold_out"), order_id
    )
    await _wait_status(env, order_id, "refunded", late_payment="refunded")
    assert {t["status"] for t in await env.tickets(order_id)} == {"revoked"}
    assert (await env.purchases.mercadopago.get_payment(payment_id))["status"] == "refunded"
    [message] = await env.messages(order_id, REFUNDED)
    assert len(message["payload"]["ticket_ids"]) == 2


async def test_legacy_ipn_and_reordered_webhooks_together_pay_the_order_once(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(quantity=2)
    paid = await env.control.pay(preference_id, "approved", notification_format="both", reorder=True)
    payment_id = str(paid["payment_id"])

    async def all_processed() -> bool:
        deliveries = await env.control.deliveries(payment_id=payment_id)
        done = [d for d in deliveries if d["state"] == "delivered"]
        formats = {d["format"] for d in done}
        return formats == {"webhook", "ipn"} and len(done) == len(deliveries) == await _processed(
            env, payment_id
        )

    await wait_until(all_processed, within=15, message="webhook and IPN deliveries processed")
    assert (await env.order(order_id))["status"] == "paid"
    assert len(await env.tickets(order_id)) == 2
    assert len(await env.messages(order_id, ISSUED)) == 1

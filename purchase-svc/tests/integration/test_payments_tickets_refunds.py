"""Tickets API (owner, admin, others) and admin refunds (per ticket, then the rest) against the
emulator, and a chargeback reported by Mercado Pago."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from purchase_svc.adapters.tables import refunds
from purchase_svc.service.event_cancellation import event_cancellation_refund
from purchase_svc.service.refunds import refund_order
from tests.integration.payments_fixtures import (
    PaymentsEnv,
    mp_emulator_url,
    payments_database,
    payments_env,
    payments_rabbit,
    payments_settings,
)

__all__ = ["mp_emulator_url", "payments_database", "payments_env", "payments_rabbit", "payments_settings"]

REFUNDED = "purchase.order.refunded.v1"


async def test_owner_and_admin_read_tickets_others_get_404(payments_env: PaymentsEnv) -> None:
    env = payments_env
    owner = f"owner-{uuid.uuid4()}"
    order_id, _ = await env.paid_order(quantity=2, user_id=owner)
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        page = await http.get("/api/v1/tickets?page_size=1", headers=env.bearer(sub=owner))
        assert page.status_code == 200, page.text
        body = page.json()
        assert (body["total"], body["page"], body["page_size"], len(body["items"])) == (2, 1, 1, 1)
        ticket = body["items"][0]
        assert ticket["order_id"] == str(order_id) and ticket["qr_payload"].startswith("CF1.")
        second = (await http.get("/api/v1/tickets?page=2&page_size=1", headers=env.bearer(sub=owner))).json()
        assert second["items"][0]["id"] != ticket["id"]

        mine = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=env.bearer(sub=owner))
        assert mine.status_code == 200 and mine.json()["qr_payload"] == ticket["qr_payload"]
        as_admin = env.bearer(role="admin", sub="boss")
        admin = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=as_admin)
        assert admin.status_code == 200
        other = await http.get(f"/api/v1/tickets/{ticket['id']}", headers=env.bearer(sub="someone-else"))
        missing = await http.get(f"/api/v1/tickets/{uuid.uuid4()}", headers=env.bearer(sub=owner))
        anonymous = await http.get("/api/v1/tickets")
        assert (other.status_code, missing.status_code, anonymous.status_code) == (404, 404, 401)
        assert other.headers["content-type"].startswith("application/problem+json")
        others = (await http.get("/api/v1/tickets", headers=env.bearer(sub="someone-else"))).json()
        assert all(t["order_id"] != str(order_id) for t in others["items"])


async def test_admin_refunds_one_ticket_then_the_rest(payments_env: PaymentsEnv) -> None:
    env = payments_env
    order_id, payment_id = await env.paid_order(quantity=3)
    first, *rest = [t["id"] for t in await env.tickets(order_id)]
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        url = f"/api/v1/purchases/{order_id}/refunds"
        forbidden = await http.post(url, json={"reason": "x"}, headers=env.bearer())
        assert forbidden.status_code == 403
        foreign = await http.post(
            url, json={"reason": "x", "ticket_ids": [str(uuid.uuid4())]}, headers=env.bearer(role="admin")
        )
        assert foreign.status_code == 422

        partial = await http.post(
            url, json={"reason": "no podía ir", "ticket_ids": [str(first)]}, headers=env.bearer(role="admin")
        )
        assert partial.status_code == 201, partial.text
        assert (partial.json()["amount"], partial.json()["order_status"], partial.json()["full"]) == (
            10000,
            "partially_refunded",
            False,
        )
        again = await http.post(
            url, json={"reason": "again", "ticket_ids": [str(first)]}, headers=env.bearer(role="admin")
        )
        assert again.status_code == 422  # already revoked

        remainder = await http.post(url, json={"reason": "evento movido"}, headers=env.bearer(role="admin"))
        assert remainder.status_code == 201, remainder.text
        assert sorted(remainder.json()["ticket_ids"]) == sorted(str(t) for t in rest)
        assert (remainder.json()["amount"], remainder.json()["order_status"]) == (20000, "refunded")
        done = await http.post(url, json={"reason": "more"}, headers=env.bearer(role="admin"))
        assert done.status_code == 409

    at_mp = await env.purchases.mercadopago.get_payment(payment_id)
    assert (at_mp["status"], at_mp["transaction_amount_refunded"]) == ("refunded", 30000)
    assert {t["status"] for t in await env.tickets(order_id)} == {"revoked"}
    messages = await env.messages(order_id, REFUNDED)
    shapes = sorted((m["payload"]["full"], len(m["payload"]["ticket_ids"])) for m in messages)
    assert shapes == [(False, 1), (True, 2)]
    # What notification-svc needs to email the buyer travels with each refund.
    notices = sorted(
        (m["payload"]["amount"], m["payload"]["currency"], m["payload"]["cause"], m["payload"]["buyer_email"])
        for m in messages
    )
    assert notices == [(10000, "CLP", "admin", "ana@example.com"), (20000, "CLP", "admin", "ana@example.com")]
    async with env.purchases.uow_factory() as uow:
        query = select(refunds).where(refunds.c.order_id == order_id)
        rows = (await uow.session.execute(query)).mappings().all()
    assert sorted((r["amount"], r["status"]) for r in rows) == [(10000, "completed"), (20000, "completed")]
    assert len({r["idempotency_key"] for r in rows}) == 2
    # Mercado Pago's own "refunded" notification afterwards changes nothing more.
    await env.control.notify_again(int(payment_id))
    await env.wait_status(order_id, "refunded")
    assert len(await env.messages(order_id, REFUNDED)) == 2


async def test_a_chargeback_refunds_the_order_and_revokes_its_tickets(payments_env: PaymentsEnv) -> None:
    env = payments_env
    order_id, payment_id = await env.paid_order(quantity=2)
    await env.control.set_status(int(payment_id), "charged_back")
    await env.wait_status(order_id, "refunded")
    assert {t["status"] for t in await env.tickets(order_id)} == {"revoked"}
    [message] = await env.messages(order_id, REFUNDED)
    assert message["payload"]["full"] is True and len(message["payload"]["ticket_ids"]) == 2
    assert (message["payload"]["cause"], message["payload"]["user_id"]) == ("provider", "buyer-1")


async def test_a_refund_for_a_cancelled_event_is_announced_as_the_cancellation(
    payments_env: PaymentsEnv,
) -> None:
    """The buyer gets one cancellation email for it, not a refund email as well."""
    env = payments_env
    order_id, _ = await env.paid_order(quantity=2)
    # The very call event_cancellation.py makes for each paid order of a cancelled event.
    await refund_order(env.purchases, event_cancellation_refund(order_id))
    [message] = await env.messages(order_id, REFUNDED)
    payload = message["payload"]
    assert (payload["cause"], payload["amount"], payload["reason"]) == (
        "event_cancelled",
        20000,
        "evento cancelado",
    )

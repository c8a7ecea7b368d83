"""The webhook: signed notifications trigger a payment sync, forged ones change nothing, malformed
ones are refused with problem+json, and the emulator's real deliveries get through."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from crowdify.messaging import OutboxRelay, Publisher
from crowdify.testing import wait_until
from purchase_svc.adapters.signature import sign
from purchase_svc.adapters.tables import messaging, payment_notifications
from purchase_svc.service.notification_retention import purge_refused_notifications
from tests.integration.payments_fixtures import (
    PREVIOUS_SECRET,
    WEBHOOK_SECRET,
    PaymentsEnv,
    build_payments_app,
    mp_emulator_url,
    payments_database,
    payments_env,
    payments_rabbit,
    payments_settings,
)

__all__ = ["mp_emulator_url", "payments_database", "payments_env", "payments_rabbit", "payments_settings"]

NOTIFIED = "purchase.payment.notified.v1"


async def _notifications(env: PaymentsEnv, resource_id: str) -> list[dict]:
    async with env.purchases.uow_factory() as uow:
        rows = (
            (
                await uow.session.execute(
                    select(payment_notifications)
                    .where(payment_notifications.c.resource_id == resource_id)
                    .order_by(payment_notifications.c.id)
                )
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]


async def _triggers(env: PaymentsEnv, payment_id: str) -> int:
    outbox = messaging.outbox
    async with env.purchases.uow_factory() as uow:
        rows = await uow.session.execute(
            select(outbox.c.id).where(
                outbox.c.routing_key == NOTIFIED,
                outbox.c.envelope["payload"]["payment_id"].astext == payment_id,
            )
        )
        return len(rows.all())


def _signed(data_id: str, secret: str = WEBHOOK_SECRET, request_id: str | None = None) -> dict[str, str]:
    request_id = request_id or str(uuid.uuid4())
    ts = str(int(time.time()))
    return {"x-signature": f"ts={ts},v1={sign(secret, data_id, request_id, ts)}", "x-request-id": request_id}


def _body(data_id: str) -> dict:
    return {
        "id": 1,
        "type": "payment",
        "action": "payment.updated",
        "live_mode": False,
        "data": {"id": data_id},
    }


async def test_a_forged_notification_is_stored_refused_and_changes_nothing(payments_env: PaymentsEnv) -> None:
    env = payments_env
    order_id, preference_id = await env.create_order(notify=False)
    paid = await env.control.pay(preference_id, "approved")  # no notification_url: nobody is told
    payment_id = str(paid["payment_id"])
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        forged = await http.post(
            f"/api/v1/purchases/webhook?data.id={payment_id}&type=payment",
            json=_body(payment_id),
            headers=_signed(payment_id, secret="not-the-secret"),
        )
        unsigned = await http.post(
            f"/api/v1/purchases/webhook?data.id={payment_id}&type=payment", json=_body(payment_id)
        )
    for answer in (forged, unsigned):
        assert answer.status_code == 401
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["code"] == "invalid_signature"
    stored = await _notifications(env, payment_id)
    assert [n["signature_valid"] for n in stored] == [False, False]
    assert [n["body"] for n in stored] == [None, None]  # refused: stored without its body
    assert await _triggers(env, payment_id) == 0
    order = await env.order(order_id)
    assert order["status"] == "awaiting_payment"
    assert await env.tickets(order_id) == [] and await env.payments(order_id) == []


async def test_signed_notifications_trigger_with_current_or_previous_secret(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        for secret in (WEBHOOK_SECRET, PREVIOUS_SECRET):
            data_id = str(uuid.uuid4().int)[:12]
            started = time.monotonic()
            answer = await http.post(
                f"/api/v1/purchases/webhook?data.id={data_id}&type=payment",
                json=_body(data_id),
                headers=_signed(data_id, secret=secret),
            )
            assert answer.status_code == 200, answer.text
            assert time.monotonic() - started < 5
            assert await _triggers(env, data_id) == 1
            assert [n["signature_valid"] for n in await _notifications(env, data_id)] == [True]


async def test_legacy_ipn_is_only_a_trigger(payments_env: PaymentsEnv) -> None:
    env = payments_env
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        answer = await http.post("/api/v1/purchases/webhook?topic=payment&id=987654321")
        merchant_order = await http.post("/api/v1/purchases/webhook?topic=merchant_order&id=555")
    assert answer.status_code == 200 and merchant_order.status_code == 200
    assert await _triggers(env, "987654321") == 1
    stored = await _notifications(env, "987654321")
    assert [(n["topic"], n["signature_valid"], n["query"]["_format"]) for n in stored] == [
        ("payment", False, "ipn")
    ]
    assert await _triggers(env, "555") == 0  # stored, but not a payment


async def test_a_flood_of_forged_legacy_ipns_costs_one_provider_fetch(payments_env: PaymentsEnv) -> None:
    env = payments_env
    payment_id = str(uuid.uuid4().int)[:12]
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        answers = await asyncio.gather(
            *(http.post(f"/api/v1/purchases/webhook?topic=payment&id={payment_id}") for _ in range(20))
        )
    assert {a.status_code for a in answers} == {200}
    stored = await _notifications(env, payment_id)
    assert len(stored) == 20  # every one stored
    assert await _triggers(env, payment_id) == 1  # one fetch from Mercado Pago
    assert sum(n["processed_at"] is not None for n in stored) >= 19  # the others settled at once


async def test_a_notification_for_a_payment_mercado_pago_does_not_know_is_final(
    payments_env: PaymentsEnv,
) -> None:
    # Mercado Pago answers 404: retrying cannot help, so the message is settled at once
    # (before, it was fetched again on every retry and then parked).
    env = payments_env
    payment_id = str(uuid.uuid4().int)[:12]
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        answer = await http.post(f"/api/v1/purchases/webhook?topic=payment&id={payment_id}")
    assert answer.status_code == 200

    async def processed() -> bool:
        return all(n["processed_at"] is not None for n in await _notifications(env, payment_id))

    await wait_until(processed, message="the notification is settled without retries")


async def test_refused_notifications_are_deleted_after_their_retention(payments_env: PaymentsEnv) -> None:
    env = payments_env
    payment_id = str(uuid.uuid4().int)[:12]
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        forged = await http.post(
            f"/api/v1/purchases/webhook?data.id={payment_id}&type=payment",
            json=_body(payment_id),
            headers=_signed(payment_id, secret="not-the-secret"),
        )
        signed = await http.post(
            f"/api/v1/purchases/webhook?data.id={payment_id}&type=payment",
            json=_body(payment_id),
            headers=_signed(payment_id),
        )
    assert (forged.status_code, signed.status_code) == (401, 200)
    retention = timedelta(days=30)
    await purge_refused_notifications(env.purchases.uow_factory, retention)
    assert len(await _notifications(env, payment_id)) == 2  # nothing is old enough yet
    async with env.purchases.uow_factory() as uow:
        await uow.session.execute(
            update(payment_notifications)
            .where(payment_notifications.c.resource_id == payment_id)
            .values(received_at=func.now() - timedelta(days=31))
        )
    assert await purge_refused_notifications(env.purchases.uow_factory, retention) >= 1
    kept = await _notifications(env, payment_id)
    assert [(n["signature_valid"], "_refused" in n["query"]) for n in kept] == [(True, False)]


async def test_malformed_notifications_are_problems_never_500(payments_env: PaymentsEnv) -> None:
    env = payments_env
    async with httpx.AsyncClient(base_url=env.app_url) as http:
        cases = [
            (await http.post("/api/v1/purchases/webhook?data.id=1&type=payment", content=b"{not json"), 400),
            (await http.post("/api/v1/purchases/webhook?data.id=1&type=payment", json=[1, 2]), 400),
            (await http.post("/api/v1/purchases/webhook", json={"hello": "world"}), 422),
            (await http.post("/api/v1/purchases/webhook"), 422),
            (await http.post("/api/v1/purchases/webhook?topic=payment&id=../../etc", json={}), 422),
            (
                await http.post(
                    "/api/v1/purchases/webhook", json={"type": "payment", "data": {"id": {"x": 1}}}
                ),
                422,
            ),
            (await http.post("/api/v1/purchases/webhook?data.id=1&type=payment", content=b"x" * 70_000), 413),
            (await http.post("/api/v1/purchases/webhook?data.id=1&type=payment", content=b"[" * 60_000), 400),
            (
                await http.post("/api/v1/purchases/webhook?data.id=1%00&type=pay%00", json={"a": "\u0000"}),
                401,
            ),
            (
                await http.post(
                    "/api/v1/purchases/webhook?topic=payment&id=%00", content=b'{"x": "\\u0000"}'
                ),
                422,
            ),
        ]
    for answer, status in cases:
        assert answer.status_code == status, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_the_emulators_deliveries_are_accepted(payments_env: PaymentsEnv) -> None:
    """Real signed deliveries, also without x-request-id and with an upper-cased data.id."""
    env = payments_env
    order_id, preference_id = await env.create_order()
    paid = await env.control.pay(preference_id, "approved", omit_request_id=True, uppercase_ids=True)
    payment_id = str(paid["payment_id"])
    # An approved payment is announced twice (payment.created, then payment.updated): wait for
    # both, so the assertion does not depend on how far the second delivery got.
    deliveries = await env.control.wait_for_deliveries(2, payment_id=payment_id)
    assert [d["state"] for d in deliveries] == ["delivered", "delivered"]
    await wait_until(lambda: _notifications(env, payment_id), message="notification stored")
    assert all(n["signature_valid"] for n in await _notifications(env, payment_id))

    async def paid_order() -> bool:
        return (await env.order(order_id))["status"] == "paid"

    await wait_until(paid_order, within=15, message="order paid")


async def test_a_notification_survives_a_crash_after_commit(payments_env: PaymentsEnv) -> None:
    """The trigger is an outbox row committed with the notification: if the process dies before
    sending it, the relay sends it later and the order is still paid."""
    env = payments_env
    order_id, preference_id = await env.create_order(notify=False)
    payment_id = str((await env.control.pay(preference_id, "approved"))["payment_id"])
    app = build_payments_app(env.settings, publish=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://purchase-svc") as http:
            answer = await http.post(
                f"/api/v1/purchases/webhook?data.id={payment_id}&type=payment",
                json=_body(payment_id),
                headers=_signed(payment_id),
            )
    assert answer.status_code == 200
    assert await _triggers(env, payment_id) == 1
    assert (await env.order(order_id))["status"] == "awaiting_payment"

    async with Publisher(env.settings.amqp_url, env.settings.amqp_exchange) as publisher:
        relay = OutboxRelay(env.purchases.uow_factory, messaging, publisher, grace_seconds=0)
        assert await relay.run_once() >= 1
    await env.wait_status(order_id, "paid")

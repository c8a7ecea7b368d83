"""A refund that a dead process left between asking Mercado Pago and recording its answer is
completed by the worker's resumption: once, with the words its announcement was to carry, whether
Mercado Pago had made it or not; one still younger than any live call is left to its process."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select, update

from purchase_svc.adapters.tables import refunds
from purchase_svc.service.commands import RefundCause, RefundOrder
from purchase_svc.service.event_cancellation import event_cancellation_refund
from purchase_svc.service.refunds import _request_refund, refund_key, resume_stuck_refunds
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
STUCK = timedelta(minutes=10)


async def _requested_then_died(env: PaymentsEnv, command: RefundOrder, *, minutes_ago: int) -> uuid.UUID:
    """Step 1 of a refund as refund_order runs it, and nothing after: the process died."""
    async with env.purchases.uow_factory() as uow:
        requested = await _request_refund(uow, command)
        created = update(refunds).where(refunds.c.id == requested.id)
        await uow.session.execute(
            created.values(created_at=refunds.c.created_at - timedelta(minutes=minutes_ago))
        )
    return requested.id


async def _status(env: PaymentsEnv, refund_id: uuid.UUID) -> str:
    async with env.purchases.uow_factory() as uow:
        return str(
            (await uow.session.execute(select(refunds.c.status).where(refunds.c.id == refund_id))).scalar()
        )


async def test_a_refund_mercado_pago_made_before_the_process_died_is_completed_once(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    order_id, payment_id = await env.paid_order(quantity=3)
    refund_id = await _requested_then_died(env, event_cancellation_refund(order_id), minutes_ago=11)
    # Step 2 went through before the process died: Mercado Pago has refunded the whole payment.
    await env.purchases.mercadopago.refund(payment_id, amount=None, idempotency_key=refund_key(refund_id))
    blocked = await env.purchases.mercadopago.get_payment(payment_id)
    assert blocked["transaction_amount_refunded"] == 30000

    # Two workers find it at once: one completes it.
    both = await asyncio.gather(*(resume_stuck_refunds(env.purchases, older_than=STUCK) for _ in range(2)))
    assert sorted(both) == [0, 1]
    assert await resume_stuck_refunds(env.purchases, older_than=STUCK) == 0

    assert (await env.order(order_id))["status"] == "refunded"
    assert {t["status"] for t in await env.tickets(order_id)} == {"revoked"}
    at_mp = await env.purchases.mercadopago.get_payment(payment_id)
    assert (at_mp["status"], at_mp["transaction_amount_refunded"]) == ("refunded", 30000)  # not twice
    [message] = await env.messages(order_id, REFUNDED)
    payload = message["payload"]
    assert (payload["cause"], payload["reason"], payload["amount"], payload["full"]) == (
        "event_cancelled",
        "evento cancelado",
        30000,
        True,
    )
    assert await _status(env, refund_id) == "completed"


async def test_a_refund_never_sent_is_made_and_a_young_one_is_left_to_its_process(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    order_id, payment_id = await env.paid_order(quantity=3)
    first = (await env.tickets(order_id))[0]["id"]
    one_ticket = RefundOrder(
        order_id=order_id,
        ticket_ids=(uuid.UUID(str(first)),),
        reason="no podía ir",
        actor="admin:ana",
        cause=RefundCause.ADMIN,
    )
    young = await _requested_then_died(env, one_ticket, minutes_ago=1)
    assert await resume_stuck_refunds(env.purchases, older_than=STUCK) == 0
    assert await _status(env, young) == "requested"
    assert (await env.purchases.mercadopago.get_payment(payment_id))["transaction_amount_refunded"] == 0

    async with env.purchases.uow_factory() as uow:  # it grows old: its process is gone
        aged = update(refunds).where(refunds.c.id == young)
        await uow.session.execute(aged.values(created_at=refunds.c.created_at - timedelta(minutes=10)))
    assert await resume_stuck_refunds(env.purchases, older_than=STUCK) == 1

    assert (await env.order(order_id))["status"] == "partially_refunded"
    statuses = {t["id"]: t["status"] for t in await env.tickets(order_id)}
    assert statuses.pop(first) == "revoked" and set(statuses.values()) == {"valid"}
    assert (await env.purchases.mercadopago.get_payment(payment_id))["transaction_amount_refunded"] == 10000
    [message] = await env.messages(order_id, REFUNDED)
    assert (message["payload"]["cause"], message["payload"]["reason"]) == ("admin", "no podía ir")

"""Expiry, refund and event cancellation emails: one each, and a cancelled event's refund is told
in the cancellation email only."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from crowdify.testing import wait_until
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from crowdify.testing.service_under_test import Publish
from notification_svc.adapters.tables import emails, messaging
from notification_svc.worker import Worker
from tests.orders import EVENT_DATE_ES_CL, EVENT_NAME, Shop


async def _handled(worker: Worker, envelopes: int) -> None:
    inbox = messaging.inbox

    async def seen() -> bool:
        async with worker.uow_factory() as uow:
            count = (
                await uow.session.execute(
                    select(func.count()).select_from(inbox).where(inbox.c.consumer == worker.consumer.queue)
                )
            ).scalar_one()
        return bool(count >= envelopes)

    await wait_until(seen, message=f"{envelopes} messages handled")


async def _kinds(worker: Worker, order_id: uuid.UUID) -> list[tuple[str, str]]:
    async with worker.uow_factory() as uow:
        rows = await uow.session.execute(
            select(emails.c.kind, emails.c.status)
            .where(emails.c.order_id == order_id)
            .order_by(emails.c.kind)
        )
    return [(kind, status) for kind, status in rows.all()]


async def _emails_are(worker: Worker, order_id: uuid.UUID, expected: list[tuple[str, str]]) -> None:
    """The order's emails reach ``expected`` (the sink may show an email a moment before the
    sender has recorded it as sent)."""

    async def reached() -> bool:
        return await _kinds(worker, order_id) == expected

    await wait_until(reached, message=f"emails {expected}")


async def test_an_expired_order_is_told_once(
    worker: Worker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    order = shop.order(tickets=3)
    expired = shop.expired(order)
    for _ in range(3):
        await publish(expired)
    [message] = await mailbox.wait_for(order.buyer_email)
    assert message["subject"] == f"Tu reserva para {EVENT_NAME} expiró"
    assert "no se realizó ningún cobro" in message["text"]
    assert "$67.500" in message["text"] and EVENT_DATE_ES_CL in message["text"]
    await _handled(worker, 3)
    await _emails_are(worker, order.order_id, [("order_expired", "sent")])
    assert len(await mailbox.to(order.buyer_email)) == 1


async def test_each_refund_is_told_once(
    worker: Worker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    order = shop.order(tickets=3)
    partial = shop.refunded(order, tickets=1)
    rest = shop.refunded(order, tickets=2, full=True)
    for message in (partial, partial, rest, partial, rest):
        await publish(message)
    found = await mailbox.wait_for(order.buyer_email, count=2)
    texts = sorted(m["text"] for m in found)
    assert all(m["subject"] == f"Reembolso de tu compra para {EVENT_NAME}" for m in found)
    assert any("Monto reembolsado: $22.500" in t for t in texts)
    assert any("Monto reembolsado: $45.000" in t for t in texts)
    assert any("las demás siguen válidas" in t for t in texts)
    await _handled(worker, 5)
    await _emails_are(worker, order.order_id, [("refund", "sent"), ("refund", "sent")])
    assert len(await mailbox.to(order.buyer_email)) == 2


async def test_a_cancelled_event_tells_each_buyer_once_with_the_refund_in_the_same_email(
    worker: Worker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    event_id = uuid.uuid4()
    paid = shop.order(tickets=2, event_id=event_id)
    unpaid = shop.order(tickets=1, event_id=event_id)
    await publish(shop.event_cancelled(event_id, "el estadio no está disponible"))
    await _handled(worker, 1)
    # What purchase-svc publishes for the event's orders, delivered more than once.
    refund = shop.refunded(paid, cause="event_cancelled")
    cancel = shop.cancelled(unpaid, cause="event_cancelled")
    for message in (refund, cancel, refund, cancel):
        await publish(message)

    [to_paid] = await mailbox.wait_for(paid.buyer_email)
    assert to_paid["subject"] == f"Evento cancelado: {EVENT_NAME}"
    assert "te devolvimos $45.000" in to_paid["text"]
    assert "Motivo informado: el estadio no está disponible" in to_paid["text"]
    [to_unpaid] = await mailbox.wait_for(unpaid.buyer_email)
    assert "no se realizó ningún cobro" in to_unpaid["text"]
    await _handled(worker, 5)
    await _emails_are(worker, paid.order_id, [("event_cancelled", "sent")])
    await _emails_are(worker, unpaid.order_id, [("event_cancelled", "sent")])
    assert len(await mailbox.to(paid.buyer_email)) == 1


async def test_a_buyer_cancelling_their_own_order_gets_no_email(
    worker: Worker, shop: Shop, publish: Publish
) -> None:
    order = shop.order()
    await publish(shop.cancelled(order, cause="buyer"))
    await _handled(worker, 1)
    await _emails_are(worker, order.order_id, [])

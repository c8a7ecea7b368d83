"""One email per order and kind, however often the messages behind it are delivered, and
however many workers send."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from crowdify.testing import wait_until
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from crowdify.testing.service_under_test import Publish, StartWorker
from notification_svc.adapters.tables import emails, messaging
from notification_svc.worker import Worker
from tests.orders import Order, Shop


async def _settled(worker: Worker, orders: list[Order]) -> bool:
    """Every email of these orders is sent and none is in anybody's hands."""
    async with worker.uow_factory() as uow:
        unsent = (
            await uow.session.execute(
                select(func.count())
                .select_from(emails)
                .where(
                    emails.c.order_id.in_([o.order_id for o in orders]),
                    (emails.c.status != "sent") | emails.c.locked_until.is_not(None),
                )
            )
        ).scalar_one()
    return unsent == 0


async def _handled(worker: Worker, envelopes: int) -> bool:
    """The consumers have committed ``envelopes`` distinct messages (the inbox has them all)."""
    inbox = messaging.inbox
    async with worker.uow_factory() as uow:
        seen = (
            await uow.session.execute(
                select(func.count()).select_from(inbox).where(inbox.c.consumer == worker.consumer.queue)
            )
        ).scalar_one()
    return bool(seen == envelopes)


async def test_the_same_messages_five_times_send_one_email(
    worker: Worker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    order = shop.order()
    key, content = shop.store_pdf(order)
    messages = [shop.paid(order), shop.issued(order), shop.rendered(order, key, content)]
    envelopes = [await publish(m) for m in messages]
    for _ in range(4):
        for message, envelope in zip(messages, envelopes, strict=True):
            await publish(message, envelope=envelope)  # a broker redelivery: same envelope id
            await publish(message)  # a producer re-publishing: a new envelope id, same order

    await mailbox.wait_for(order.buyer_email)
    # 3 first deliveries and 4 x 3 re-publications are distinct messages; redeliveries are not.
    await wait_until(lambda: _handled(worker, 15), message="every message handled")
    await wait_until(lambda: _settled(worker, [order]), message="the email recorded as sent")
    assert len(await mailbox.to(order.buyer_email)) == 1
    async with worker.uow_factory() as uow:
        rows = (
            (await uow.session.execute(select(emails).where(emails.c.order_id == order.order_id)))
            .mappings()
            .all()
        )
    assert [(r["kind"], r["status"], r["attempts"]) for r in rows] == [("tickets", "sent", 1)]


async def test_two_workers_racing_on_redelivered_orders_send_each_email_once(
    start_worker: StartWorker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    first = await start_worker()
    await start_worker()  # a second worker on the same queue and table
    orders = [shop.order(tickets=1) for _ in range(12)]

    async def publish_five_times(order: Order) -> None:
        key, content = shop.store_pdf(order)
        for _ in range(5):
            await shop.buy(order, render=False)
            await publish(shop.rendered(order, key, content))
            await publish(shop.expired(order))  # an expiry notice for the same order, also 5x

    await asyncio.gather(*(publish_five_times(o) for o in orders))
    await wait_until(lambda: _handled(first, len(orders) * 5 * 4), within=30, message="every message handled")
    for order in orders:
        await mailbox.wait_for(order.buyer_email, count=2)
    await wait_until(lambda: _settled(first, orders), within=20, message="every email recorded as sent")
    for order in orders:
        subjects = sorted(m["subject"] for m in await mailbox.to(order.buyer_email))
        assert len(subjects) == 2, subjects
        assert subjects[0].startswith("Tu reserva") and subjects[1].startswith("Tus entradas")

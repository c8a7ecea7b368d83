"""The tickets email waits for the PDF, but not forever: after the (test-short) wait it goes
with a download link; a PDF that was already there goes attached at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from crowdify.testing import wait_until
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from crowdify.testing.service_under_test import Publish, StartWorker
from notification_svc.adapters.tables import documents, emails
from notification_svc.domain.emails import Kind, email_id
from notification_svc.worker import Worker
from tests.orders import EVENT_DATE_ES_CL, EVENT_NAME, Order, Shop


async def test_without_a_rendered_pdf_the_email_goes_with_a_download_link(
    start_worker: StartWorker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    worker = await start_worker(pdf_wait_seconds=1.5)
    order = shop.order()
    await shop.buy(order, render=False)

    [message] = await mailbox.wait_for(order.buyer_email)
    link = f"http://localhost:8000/api/v1/purchases/{order.order_id}/pdf"
    assert link in message["text"] and f'href="{link}"' in message["html"]
    assert "aún se están generando" in message["text"] and EVENT_DATE_ES_CL in message["text"]
    assert not message.get("attachments")

    # The PDF arriving afterwards sends nothing more: once it is recorded, the order has no
    # email left to send.
    key, content = shop.store_pdf(order)
    await publish(shop.rendered(order, key, content))

    async def rendered_recorded() -> list[dict[str, object]] | None:
        async with worker.uow_factory() as uow:
            known = (
                await uow.session.execute(
                    select(documents.c.key).where(documents.c.order_id == order.order_id)
                )
            ).first()
            rows = (
                (await uow.session.execute(select(emails).where(emails.c.order_id == order.order_id)))
                .mappings()
                .all()
            )
        sent = all(r["status"] == "sent" for r in rows)
        return [dict(r) for r in rows] if known is not None and sent else None

    [row] = await wait_until(rendered_recorded, message="the rendered PDF recorded")
    assert (row["id"], row["status"], row["attempts"], row["documents"]) == (
        email_id(order.order_id, Kind.TICKETS),
        "sent",
        1,
        "link",
    )
    assert row["sent_at"] >= order.issued_at + timedelta(seconds=1.5)  # it did wait for the PDF first
    assert len(await mailbox.to(order.buyer_email)) == 1


async def test_a_pdf_rendered_before_the_tickets_message_is_attached_at_once(
    start_worker: StartWorker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    await start_worker(pdf_wait_seconds=60)
    order = shop.order()
    key, content = shop.store_pdf(order)
    await publish(shop.rendered(order, key, content))  # pdf-svc overtook purchase-svc's message
    await publish(shop.paid(order))
    await publish(shop.issued(order))
    [message] = await mailbox.wait_for(order.buyer_email, within=10)
    assert [a["contentType"] for a in message["attachments"]] == ["application/pdf"]


async def test_a_pdf_whose_bytes_do_not_match_is_not_attached(
    start_worker: StartWorker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    await start_worker(pdf_wait_seconds=60)
    order = shop.order()
    key, _ = shop.store_pdf(order)
    await shop.buy(order, render=False)
    await publish(shop.rendered(order, key, b"other bytes than the stored ones"))
    [message] = await mailbox.wait_for(order.buyer_email, within=10)
    assert not message.get("attachments")
    assert f"/api/v1/purchases/{order.order_id}/pdf" in message["text"]


async def test_a_full_refund_before_the_tickets_email_went_withdraws_it(
    start_worker: StartWorker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    worker = await start_worker(pdf_wait_seconds=60)
    order = shop.order()
    await shop.buy(order, render=False)  # the tickets email waits for its PDF
    await publish(shop.refunded(order))  # ... and every ticket is refunded meanwhile
    await assert_only_the_refund_email_went(worker, shop, publish, mailbox, order)


async def test_a_full_refund_handled_before_the_tickets_were_issued_withdraws_their_email(
    start_worker: StartWorker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    """The refund and the tickets come from different services: the refund may arrive first."""
    worker = await start_worker(pdf_wait_seconds=60)
    order = shop.order()
    await publish(shop.paid(order))
    await publish(shop.refunded(order))
    await mailbox.wait_for(order.buyer_email)  # the refund was handled
    await publish(shop.issued(order))
    await assert_only_the_refund_email_went(worker, shop, publish, mailbox, order)


async def assert_only_the_refund_email_went(
    worker: Worker, shop: Shop, publish: Publish, mailbox: Mailbox, order: Order
) -> None:
    [refund_email] = await mailbox.wait_for(order.buyer_email)
    assert refund_email["subject"] == f"Reembolso de tu compra para {EVENT_NAME}"

    # The PDF arriving now (pdf-svc was slow) must not wake the withdrawn email up.
    key, content = shop.store_pdf(order)
    await publish(shop.rendered(order, key, content))

    async def pdf_recorded() -> bool:
        async with worker.uow_factory() as uow:
            row = await uow.session.execute(
                select(documents.c.key).where(documents.c.order_id == order.order_id)
            )
            return row.first() is not None

    await wait_until(pdf_recorded, message="the rendered PDF recorded")
    async with worker.uow_factory() as uow:
        tickets_email = (
            (
                await uow.session.execute(
                    select(emails).where(emails.c.id == email_id(order.order_id, Kind.TICKETS))
                )
            )
            .mappings()
            .one()
        )
    assert tickets_email["status"] == "withdrawn"
    assert [m["subject"] for m in await mailbox.to(order.buyer_email)] == [refund_email["subject"]]


async def test_a_partial_refund_leaves_the_tickets_email_to_go(
    start_worker: StartWorker, shop: Shop, publish: Publish, mailbox: Mailbox
) -> None:
    await start_worker(pdf_wait_seconds=60)
    order = shop.order(tickets=2)
    await shop.buy(order, render=False)
    await publish(shop.refunded(order, tickets=1))
    key, content = shop.store_pdf(order)
    await publish(shop.rendered(order, key, content))

    found = await mailbox.wait_for(order.buyer_email, count=2)
    assert sorted(m["subject"] for m in found) == [
        f"Reembolso de tu compra para {EVENT_NAME}",
        f"Tus entradas para {EVENT_NAME}",
    ]

"""The tickets email: Spanish, es-CL date and CLP amount, the order's PDF attached, once."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from crowdify.testing import wait_until
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from notification_svc.adapters.tables import emails
from notification_svc.domain.emails import Kind, email_id
from notification_svc.worker import Worker
from tests.orders import EVENT_DATE_ES_CL, EVENT_NAME, VENUE, Shop, pdf_bytes


async def test_the_tickets_email_reaches_the_buyer_with_the_pdf_attached(
    worker: Worker, shop: Shop, mailbox: Mailbox
) -> None:
    order = shop.order(tickets=2)
    await shop.buy(order)

    [message] = await mailbox.wait_for(order.buyer_email)
    assert message["subject"] == f"Tus entradas para {EVENT_NAME}"
    text, html = message["text"], message["html"]
    for body in (text, html):
        assert EVENT_DATE_ES_CL in body
        assert "$45.000" in body  # 2 x 22.500 CLP, es-CL thousands separator, no decimals
        assert "¡Gracias por tu compra!" in body
        assert "Tomás Pérez" in body
    assert VENUE in text
    # The buyer's name is data, not markup.
    assert "Ana &lt;Pérez&gt; &amp; Cía" in html and "<Pérez>" not in html
    assert "Ana <Pérez> & Cía" in text
    assert "/api/v1/purchases/" not in text  # no download link: the PDF is attached

    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/pdf"
    assert attachment["fileName"] == f"entradas-{order.order_id.hex[:8].upper()}.pdf"
    content = await mailbox.attachment(message)
    assert hashlib.sha256(content).digest() == hashlib.sha256(pdf_bytes(order.order_id)).digest()

    row_id = email_id(order.order_id, Kind.TICKETS)
    assert message["messageId"].strip("<>") == f"{row_id}@crowdify.cl"

    async def recorded() -> dict[str, object] | None:
        async with worker.uow_factory() as uow:
            found = (await uow.session.execute(select(emails).where(emails.c.id == row_id))).mappings().one()
        return dict(found) if found["status"] == "sent" else None

    row = await wait_until(recorded, message="the email recorded as sent")
    assert (row["status"], row["attempts"], row["documents"], row["provider"]) == (
        "sent",
        1,
        "attached",
        "smtp",
    )
    assert row["sent_at"] is not None

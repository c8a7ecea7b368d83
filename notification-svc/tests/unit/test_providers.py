"""What each provider puts on the wire for one email."""

from __future__ import annotations

import base64

from notification_svc.adapters.providers import Attachment, OutgoingEmail, SendGridProvider, SmtpProvider

EMAIL = OutgoingEmail(
    email_id="0b1c",
    message_id="<0b1c@crowdify.cl>",
    sender="no-reply@crowdify.cl",
    sender_name="Crowdify",
    to="ana@example.cl",
    to_name="Pérez, Ana; hija",
    subject="Tus entradas para Fiesta",
    text="Hola Ana",
    html="<p>Hola Ana</p>",
    attachments=(Attachment(filename="entradas-0B1C.pdf", content=b"%PDF-1.4 ..."),),
)


def test_the_smtp_message_carries_the_stable_message_id_both_bodies_and_the_pdf() -> None:
    message = SmtpProvider.mime(EMAIL)
    assert message["Message-ID"] == "<0b1c@crowdify.cl>"
    assert message["Subject"] == "Tus entradas para Fiesta"
    assert message["X-Crowdify-Email-Id"] == "0b1c"
    parts = {part.get_content_type(): part for part in message.walk()}
    assert parts["text/plain"].get_content().strip() == "Hola Ana"
    assert parts["text/html"].get_content().strip() == "<p>Hola Ana</p>"
    assert parts["application/pdf"].get_filename() == "entradas-0B1C.pdf"
    assert parts["application/pdf"].get_content() == b"%PDF-1.4 ..."


def test_the_sendgrid_body_follows_v3_mail_send() -> None:
    body = SendGridProvider.body(EMAIL)
    assert body["personalizations"] == [{"to": [{"email": "ana@example.cl", "name": "Pérez  Ana  hija"}]}]
    assert body["from"] == {"email": "no-reply@crowdify.cl", "name": "Crowdify"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["headers"] == {"Message-ID": "<0b1c@crowdify.cl>"}
    assert body["custom_args"] == {"email_id": "0b1c"}
    [attachment] = body["attachments"]
    assert base64.b64decode(attachment["content"]) == b"%PDF-1.4 ..."
    assert (attachment["filename"], attachment["type"], attachment["disposition"]) == (
        "entradas-0B1C.pdf",
        "application/pdf",
        "attachment",
    )

"""What each provider puts on the wire for one email."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
from email.utils import getaddresses

import pytest

from notification_svc.adapters.providers import (
    DISPLAY_NAME_MAX,
    Attachment,
    OutgoingEmail,
    SendGridProvider,
    SmtpProvider,
    display_name,
)

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
    assert body["personalizations"] == [{"to": [{"email": "ana@example.cl", "name": "Pérez Ana hija"}]}]
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


HOSTILE_NAMES = [
    "Ana, <evil@x.example>, Bob " * 6,
    "a" * 100 + ", otro@evil.example",
    'Ñandú, Pérez; "x" ' * 8,
    "José, Pérez <otro@evil.example>",
    "Ana\r\nBcc: espia@evil.example",
    "Hola cliente. Tu cuenta fue bloqueada, verifica en http://evil.example/x",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_display_name_never_becomes_another_recipient_over_smtp(name: str) -> None:
    raw = SmtpProvider.mime(dataclasses.replace(EMAIL, to_name=name)).as_bytes()
    for policy in (email.policy.default, email.policy.compat32):
        parsed = email.message_from_bytes(raw, policy=policy)
        [header] = parsed.get_all("To")
        assert [address for _, address in getaddresses([str(header)])] == ["ana@example.cl"], raw[:400]
    assert b"evil" not in raw


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_display_name_is_plain_words_on_sendgrid_too(name: str) -> None:
    [to] = SendGridProvider.body(dataclasses.replace(EMAIL, to_name=name))["personalizations"][0]["to"]
    assert to["email"] == "ana@example.cl"
    shown = to.get("name", "")
    assert len(shown) <= DISPLAY_NAME_MAX
    assert not set(shown) & set(',;<>"@.:/\\\r\n'), shown
    assert "evil" not in shown


def test_ordinary_names_are_kept() -> None:
    assert display_name("María José O'Higgins-Pérez") == "María José O'Higgins-Pérez"
    assert display_name(None) == display_name("") == ""
    assert display_name("Ana " + "b" * 80) == "Ana"

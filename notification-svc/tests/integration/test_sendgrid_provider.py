"""The SendGrid provider, through the official SDK, against the SendGrid emulator (the real v3
wire protocol): accepted, refused for good (400), and an outage ridden out."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from python_http_client.exceptions import BadRequestsError, UnauthorizedError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Mail
from sqlalchemy import select

from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Publish, StartWorker
from notification_svc.adapters.tables import emails
from notification_svc.domain.emails import Kind, email_id
from notification_svc.worker import Worker
from sendgrid_emulator.testing import DEV_API_KEY, EmulatorInbox, running_emulator
from tests.orders import EVENT_NAME, Shop, pdf_bytes


@pytest.fixture(scope="module")
def sendgrid_url() -> Iterator[str]:
    with running_emulator() as url:
        yield url


@pytest.fixture
async def inbox(sendgrid_url: str) -> AsyncIterator[EmulatorInbox]:
    async with EmulatorInbox(sendgrid_url) as emulator:
        yield emulator
        await emulator.outage(enabled=False)


@pytest.fixture
async def sendgrid_worker(start_worker: StartWorker, sendgrid_url: str) -> Worker:
    return await start_worker(
        email_provider="sendgrid", email_api_key=SecretStr(DEV_API_KEY), sendgrid_api_base_url=sendgrid_url
    )


async def _row(worker: Worker, order_id: uuid.UUID, kind: Kind = Kind.TICKETS) -> dict[str, Any]:
    """The email's row ({} until the consumer has queued it)."""
    async with worker.uow_factory() as uow:
        row = (
            (await uow.session.execute(select(emails).where(emails.c.id == email_id(order_id, kind))))
            .mappings()
            .first()
        )
    return dict(row) if row is not None else {}


def test_the_official_sdk_talks_to_the_emulator(sendgrid_url: str) -> None:
    mail = Mail(
        from_email="no-reply@crowdify.cl",
        to_emails="sdk@crowdify.test",
        subject="Prueba",
        plain_text_content="Hola",
    )
    response = SendGridAPIClient(DEV_API_KEY, host=sendgrid_url).send(mail)
    assert response.status_code == 202 and response.headers["X-Message-Id"]

    with pytest.raises(UnauthorizedError) as refused:
        SendGridAPIClient("SG.not-a-key", host=sendgrid_url).send(mail)
    assert refused.value.status_code == 401

    with pytest.raises(BadRequestsError) as bad:
        SendGridAPIClient(DEV_API_KEY, host=sendgrid_url).send(
            {
                "personalizations": [{"to": [{"email": "not-an-address"}]}],
                "from": {"email": "no-reply@crowdify.cl"},
                "subject": "x",
                "content": [{"type": "text/plain", "value": "y"}],
            }
        )
    [problem] = json.loads(bad.value.body)["errors"]
    assert problem["field"] == "personalizations.0.to.0.email"
    assert json.loads(refused.value.body)["errors"][0]["field"] is None


async def test_the_tickets_email_goes_through_sendgrid_with_its_pdf(
    sendgrid_worker: Worker, shop: Shop, inbox: EmulatorInbox
) -> None:
    order = shop.order()
    await shop.buy(order)
    [sent] = await wait_until(lambda: inbox.messages(order.buyer_email), message="the email at SendGrid")
    body = sent["body"]
    assert body["subject"] == f"Tus entradas para {EVENT_NAME}"
    assert body["from"] == {"email": "no-reply@crowdify.cl", "name": "Crowdify"}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert "$45.000" in body["content"][0]["value"]
    [attachment] = body["attachments"]
    assert base64.b64decode(attachment["content"]) == pdf_bytes(order.order_id)
    assert (attachment["type"], attachment["disposition"]) == ("application/pdf", "attachment")
    row_id = email_id(order.order_id, Kind.TICKETS)
    assert body["headers"]["Message-ID"] == f"<{row_id}@crowdify.cl>"
    assert body["custom_args"] == {"email_id": str(row_id)}
    assert sent["user_agent"].startswith("sendgrid/")

    async def recorded() -> dict[str, Any] | None:
        row = await _row(sendgrid_worker, order.order_id)
        return row if row.get("status") == "sent" else None

    row = await wait_until(recorded, message="the email recorded as sent")
    assert (row["provider"], row["provider_message_id"]) == ("sendgrid", sent["id"])


async def test_an_address_sendgrid_refuses_fails_at_once_without_retries(
    sendgrid_worker: Worker, shop: Shop, publish: Publish
) -> None:
    order = shop.order()
    order.buyer_email = "esto-no-es-un-correo"
    await publish(shop.expired(order))

    async def failed() -> dict[str, Any] | None:
        async with sendgrid_worker.uow_factory() as uow:
            row = (
                (await uow.session.execute(select(emails).where(emails.c.order_id == order.order_id)))
                .mappings()
                .first()
            )
        return dict(row) if row is not None and row["status"] == "failed" else None

    row = await wait_until(failed, message="the email failed")
    assert (row["attempts"], row["last_error"]) == (1, "SendGrid answered 400")
    assert "esto-no-es" not in row["last_error"]  # error texts never carry addresses


async def test_a_sendgrid_outage_delays_the_email_and_loses_nothing(
    sendgrid_worker: Worker, shop: Shop, publish: Publish, inbox: EmulatorInbox
) -> None:
    await inbox.outage(status=503)
    order = shop.order()
    await publish(shop.expired(order))

    async def retrying() -> bool:
        row = await _row(sendgrid_worker, order.order_id, Kind.ORDER_EXPIRED)
        return row.get("status") == "pending" and row["last_error"] is not None

    await wait_until(retrying, message="the email failing at SendGrid")
    assert await inbox.messages(order.buyer_email) == []
    await inbox.outage(enabled=False)
    await wait_until(lambda: inbox.messages(order.buyer_email), within=15, message="the email at SendGrid")

    async def sent() -> bool:
        return (await _row(sendgrid_worker, order.order_id, Kind.ORDER_EXPIRED)).get("status") == "sent"

    await wait_until(sent, message="the email recorded as sent")
    assert len(await inbox.messages(order.buyer_email)) == 1

"""Paying delivers real, signed webhooks (format A) that the official SDK validator accepts."""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

import pytest
from mercadopago.webhook import (
    InvalidWebhookSignatureError,
    SignatureFailureReason,
    WebhookSignatureValidator,
)

WEBHOOK_SECRET = "test-webhook-secret-for-the-emulator"  # what conftest starts the emulator with


def verify(received, secret: str = WEBHOOK_SECRET) -> None:
    """purchase-svc's check: data.id from the query string, headers as sent."""
    WebhookSignatureValidator.validate(
        received.headers.get("x-signature"),
        received.headers.get("x-request-id"),
        received.params["data.id"],
        secret,
    )


async def test_pay_delivers_created_then_updated_signed_webhooks(mp) -> None:
    pref, payment_id = await mp.paid("approved")

    created, updated = await mp.receiver.wait_for(2)

    for received, action in ((created, "payment.created"), (updated, "payment.updated")):
        assert received.path == "/api/v1/purchases/webhook"
        # the notification_url's own query is kept, data.id and type are added
        assert parse_qsl(received.query) == [
            ("source_news", "webhooks"), ("data.id", str(payment_id)), ("type", "payment"),
        ]  # fmt: skip
        assert received.headers["content-type"] == "application/json"
        uuid.UUID(received.headers["x-request-id"], version=4)
        body = received.body
        assert set(body) == {
            "id",
            "live_mode",
            "type",
            "date_created",
            "user_id",
            "api_version",
            "action",
            "data",
        }
        assert body["action"] == action and body["type"] == "payment" and body["api_version"] == "v1"
        assert body["data"] == {"id": str(payment_id)} and body["user_id"] == pref["collector_id"]
        verify(received)
        with pytest.raises(InvalidWebhookSignatureError) as failure:
            verify(received, secret="dev-mp-webhook-secret")
        assert failure.value.reason is SignatureFailureReason.SIGNATURE_MISMATCH
    assert created.body["id"] != updated.body["id"]
    assert created.headers["x-request-id"] != updated.headers["x-request-id"]


async def test_deliveries_are_recorded_with_their_answers(mp) -> None:
    mp.receiver.answers = [200, 500]
    _, payment_id = await mp.paid("approved")

    first, second = await mp.control.wait_for_deliveries(2, payment_id=payment_id)

    assert (first["action"], first["state"], first["attempt"]) == ("payment.created", "delivered", 1)
    assert first["response"] == {"status_code": 200, "body": '{"answer": 200}'}
    assert first["sent_at"] and first["answered_at"] and first["format"] == "webhook"
    assert first["request"]["headers"]["x-signature"].startswith("ts=")
    assert first["request"]["body"]["data"]["id"] == str(payment_id)
    assert (second["state"], second["response"]["status_code"]) == ("rejected", 500)
    assert await mp.control.deliveries(payment_id=payment_id, state="rejected") == [second]


async def test_unreachable_receivers_are_recorded_as_failed(mp) -> None:
    pref = await mp.preference(notification_url="http://127.0.0.1:9/unreachable")
    paid = await mp.control.pay(pref["id"])
    deliveries = await mp.control.wait_for_deliveries(2, payment_id=paid["payment_id"])
    assert {d["state"] for d in deliveries} == {"failed"}
    assert all(d["response"] is None and d["error"] for d in deliveries)


async def test_without_notification_url_nothing_is_sent(mp, http) -> None:
    pref = await mp.preference(notify=False)
    paid = await mp.control.pay(pref["id"])
    assert paid["deliveries"] == []
    again = await http.post(f"/__emulator/payments/{paid['payment_id']}/notify")
    assert again.status_code == 409


async def test_refunds_and_status_changes_notify_payment_updated(mp) -> None:
    _, payment_id = await mp.paid("approved")
    await mp.receiver.wait_for(2)

    await mp.call(mp.sdk.refund().create, payment_id, {"amount": 5000})
    await mp.control.set_status(payment_id, "charged_back")

    *_, after_refund, after_chargeback = await mp.receiver.wait_for(4)
    for received in (after_refund, after_chargeback):
        assert received.body["action"] == "payment.updated"
        verify(received)


async def test_a_pending_payment_is_created_then_updated_when_approved(mp) -> None:
    _, payment_id = await mp.paid("pending", binary_mode=False)
    (created,) = await mp.receiver.wait_for(1)
    assert created.body["action"] == "payment.created"

    await mp.control.set_status(payment_id, "approved")
    _, updated = await mp.receiver.wait_for(2)
    assert updated.body["action"] == "payment.updated"
    assert len(mp.receiver.requests) == 2

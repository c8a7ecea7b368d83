"""Delivery knobs: duplicates, reordering, delay, IPN format, missing x-request-id, upper-case ids,
re-delivery and retries; per call or through /__emulator/config."""

from __future__ import annotations

from datetime import datetime

import pytest
from mercadopago.webhook import (
    InvalidWebhookSignatureError,
    SignatureFailureReason,
    WebhookSignatureValidator,
)

WEBHOOK_SECRET = "test-webhook-secret-for-the-emulator"


def verify(received, data_id: str | None = None) -> None:
    data_id = received.params.get("data.id") if data_id is None else data_id
    WebhookSignatureValidator.validate(
        received.headers.get("x-signature"), received.headers.get("x-request-id"), data_id, WEBHOOK_SECRET
    )


async def test_duplicates_repeat_each_notification_with_fresh_request_ids(mp) -> None:
    pref = await mp.preference()
    await mp.control.pay(pref["id"], duplicates=3)

    received = await mp.receiver.wait_for(6)

    assert [r.body["action"] for r in received] == ["payment.created"] * 3 + ["payment.updated"] * 3
    assert len({r.body["id"] for r in received[:3]}) == 1  # the same notification, three times
    assert len({r.headers["x-request-id"] for r in received}) == 6
    for r in received:
        verify(r)


async def test_reorder_delivers_updated_before_created(mp) -> None:
    pref = await mp.preference()
    await mp.control.pay(pref["id"], reorder=True)

    received = await mp.receiver.wait_for(2)

    assert [r.body["action"] for r in received] == ["payment.updated", "payment.created"]
    assert received[0].body["id"] > received[1].body["id"]  # created was still the earlier event


async def test_delay_holds_the_delivery_back(mp) -> None:
    pref = await mp.preference()
    paid = await mp.control.pay(pref["id"], delay_seconds=0.3)

    scheduled = await mp.control.deliveries(payment_id=paid["payment_id"])
    assert {d["state"] for d in scheduled} == {"scheduled"} and not mp.receiver.requests

    first, _ = await mp.control.wait_for_deliveries(2, payment_id=paid["payment_id"])
    waited = datetime.fromisoformat(first["sent_at"]) - datetime.fromisoformat(first["scheduled_at"])
    assert waited.total_seconds() >= 0.3


async def test_ipn_format_carries_topic_and_id_and_an_unverifiable_signature(mp) -> None:
    pref = await mp.preference()
    paid = await mp.control.pay(pref["id"], notification_format="ipn")

    received = await mp.receiver.wait_for(2)

    for r in received:
        assert r.params == {"source_news": "webhooks", "topic": "payment", "id": str(paid["payment_id"])}
        assert r.body == {"resource": str(paid["payment_id"]), "topic": "payment"}
        with pytest.raises(InvalidWebhookSignatureError) as failure:
            verify(r, data_id=r.params["id"])
        assert failure.value.reason is SignatureFailureReason.SIGNATURE_MISMATCH


async def test_both_formats(mp) -> None:
    pref = await mp.preference()
    await mp.control.pay(pref["id"], notification_format="both")
    received = await mp.receiver.wait_for(4)
    assert ["data.id" in r.params for r in received] == [True, False, True, False]


async def test_missing_request_id_drops_it_from_the_manifest(mp) -> None:
    pref = await mp.preference()
    await mp.control.pay(pref["id"], omit_request_id=True)

    for r in await mp.receiver.wait_for(2):
        assert "x-request-id" not in r.headers
        verify(r)


async def test_uppercase_ids_are_signed_in_lower_case(mp) -> None:
    pref = await mp.preference()
    paid = await mp.control.pay(pref["id"], uppercase_ids=True)

    created, _ = await mp.receiver.wait_for(2)

    # Payment ids are digits, so the case only shows for alphanumeric ids; the manifest is built
    # from the lower-case form, as the docs ask, which is what a lenient verifier must also try.
    assert created.params["data.id"] == str(paid["payment_id"]).upper()
    verify(created, data_id=created.params["data.id"].lower())


async def test_notify_redelivers_the_latest_notification(mp) -> None:
    _, payment_id = await mp.paid("approved")
    _, updated = await mp.receiver.wait_for(2)

    again = await mp.control.notify_again(payment_id, duplicates=2)

    assert again["action"] == "payment.updated" and again["notification_id"] == updated.body["id"]
    *_, copy_1, copy_2 = await mp.receiver.wait_for(4)
    for copy in (copy_1, copy_2):
        assert copy.body == updated.body
        assert copy.headers["x-request-id"] != updated.headers["x-request-id"]
        verify(copy)


async def test_non_2xx_answers_are_retried_on_the_schedule(mp) -> None:
    mp.receiver.answers = [503, 500]
    pref = await mp.preference(binary_mode=False)
    # pending: a single notification (payment.created), so the answers above all go to it
    paid = await mp.control.pay(pref["id"], "pending", retry_schedule=[0.05, 0.05])

    created = await mp.control.wait_for_deliveries(3, payment_id=paid["payment_id"])

    assert [(d["attempt"], d["state"]) for d in created] == [
        (1, "rejected"),
        (2, "rejected"),
        (3, "delivered"),
    ]
    assert len({d["request"]["headers"]["x-request-id"] for d in created}) == 1  # one request, retried
    assert len({d["request"]["body"]["id"] for d in created}) == 1


async def test_config_sets_the_defaults_and_reset_restores_them(mp) -> None:
    config = await mp.control.configure(duplicates=2, reorder=True)
    assert (
        config["duplicates"] == 2 and config["reorder"] is True and config["notification_format"] == "webhook"
    )

    pref = await mp.preference()
    await mp.control.pay(pref["id"])
    received = await mp.receiver.wait_for(4)
    assert [r.body["action"] for r in received] == ["payment.updated"] * 2 + ["payment.created"] * 2

    await mp.control.reset()
    defaults = await mp.control.configure()
    assert defaults["duplicates"] == 1 and defaults["reorder"] is False


@pytest.mark.parametrize("knobs", [{"duplicates": 0}, {"notification_format": "sms"}, {"delay_seconds": -1}])
async def test_invalid_knobs_are_rejected(http, control, knobs) -> None:
    answer = await http.post("/__emulator/config", json=knobs)
    assert answer.status_code == 400 and answer.json()["status"] == 400

"""Payments, search, cancellation and merchant orders through the official SDK."""

from __future__ import annotations

from datetime import datetime

import pytest


async def test_a_paid_preference_yields_a_mercado_pago_payment(mp) -> None:
    pref, payment_id = await mp.paid("approved")

    answer = await mp.call(mp.sdk.payment().get, payment_id)

    assert answer["status"] == 200
    payment = answer["response"]
    assert payment["id"] == payment_id and isinstance(payment["id"], int)
    assert (payment["status"], payment["status_detail"]) == ("approved", "accredited")
    assert payment["external_reference"] == pref["external_reference"]
    assert payment["transaction_amount"] == 30000 and isinstance(payment["transaction_amount"], int)
    assert payment["transaction_amount_refunded"] == 0
    assert payment["currency_id"] == "CLP" and payment["binary_mode"] is True
    assert payment["metadata"] == {"order_id": "o-1"}
    assert payment["payer"]["email"] == "ana@example.com"
    assert payment["order"]["id"] and payment["collector_id"] == pref["collector_id"]
    for name in ("date_created", "date_approved", "date_last_updated"):
        assert datetime.fromisoformat(payment[name]).utcoffset() is not None, name


async def test_rejected_and_pending_payments(mp) -> None:
    _, rejected = await mp.paid("rejected")
    _, pending = await mp.paid("pending", binary_mode=False)

    rejected_payment = (await mp.call(mp.sdk.payment().get, rejected))["response"]
    pending_payment = (await mp.call(mp.sdk.payment().get, pending))["response"]
    assert (rejected_payment["status"], rejected_payment["status_detail"]) == (
        "rejected",
        "cc_rejected_other_reason",
    )
    assert rejected_payment["date_approved"] is None
    assert (pending_payment["status"], pending_payment["status_detail"]) == (
        "pending",
        "pending_waiting_payment",
    )


async def test_binary_mode_never_leaves_a_payment_pending(mp, http) -> None:
    pref = await mp.preference(binary_mode=True)
    answer = await http.post(f"/__emulator/preferences/{pref['id']}/pay", json={"status": "pending"})
    assert answer.status_code == 400 and "binary_mode" in answer.json()["message"]


async def test_an_expired_preference_cannot_be_paid(mp, http) -> None:
    pref = await mp.preference(
        expires=True,
        expiration_date_from="2020-01-01T10:00:00.000-04:00",
        expiration_date_to="2020-01-01T10:15:00.000-04:00",
    )
    answer = await http.post(f"/__emulator/preferences/{pref['id']}/pay", json={"status": "approved"})
    assert answer.status_code == 400 and answer.json()["error"] == "preference_expired"


async def test_unknown_payment_is_a_json_404(mp) -> None:
    for payment_id in (999, "not-a-number"):
        answer = await mp.call(mp.sdk.payment().get, payment_id)
        assert answer["status"] == 404
        assert answer["response"]["message"] == "Payment not found"
        assert answer["response"]["cause"][0]["code"] == 2000


async def test_search_by_external_reference_and_status(mp) -> None:
    pref, rejected = await mp.paid("rejected")
    approved = int((await mp.control.pay(pref["id"], "approved"))["payment_id"])
    await mp.paid("approved")  # another order's payment

    everything = await mp.call(mp.sdk.payment().search, {"external_reference": pref["external_reference"]})
    assert everything["status"] == 200
    assert everything["response"]["paging"] == {"total": 2, "limit": 30, "offset": 0}
    assert [p["id"] for p in everything["response"]["results"]] == [approved, rejected]  # newest first

    only_approved = await mp.call(
        mp.sdk.payment().search, {"external_reference": pref["external_reference"], "status": "approved"}
    )
    assert [p["id"] for p in only_approved["response"]["results"]] == [approved]


async def test_search_sorts_and_pages(mp) -> None:
    pref = await mp.preference(binary_mode=False)
    ids = [int((await mp.control.pay(pref["id"], "rejected"))["payment_id"]) for _ in range(5)]
    reference = pref["external_reference"]

    page = await mp.call(
        mp.sdk.payment().search,
        {"external_reference": reference, "sort": "date_created", "criteria": "asc", "limit": 2, "offset": 2},
    )
    assert page["response"]["paging"] == {"total": 5, "limit": 2, "offset": 2}
    assert [p["id"] for p in page["response"]["results"]] == ids[2:4]

    recent = await mp.call(
        mp.sdk.payment().search,
        {
            "external_reference": reference,
            "range": "date_created",
            "begin_date": "NOW-1DAYS",
            "end_date": "NOW",
        },
    )
    assert recent["response"]["paging"]["total"] == 5
    nested = await mp.call(
        mp.sdk.payment().search, {"order.id": str(page["response"]["results"][0]["order"]["id"])}
    )
    assert nested["response"]["paging"]["total"] == 5


@pytest.mark.parametrize("params", [{"limit": "many"}, {"sort": "amount"}, {"criteria": "up"}])
async def test_bad_search_parameters_are_400(mp, params) -> None:
    answer = await mp.call(mp.sdk.payment().search, params)
    assert answer["status"] == 400 and answer["response"]["status"] == 400


async def test_cancel_a_pending_payment_but_not_an_approved_one(mp) -> None:
    _, pending = await mp.paid("pending", binary_mode=False)
    _, approved = await mp.paid("approved")

    cancelled = await mp.call(mp.sdk.payment().update, pending, {"status": "cancelled"})
    refused = await mp.call(mp.sdk.payment().update, approved, {"status": "cancelled"})

    assert cancelled["status"] == 200
    assert (cancelled["response"]["status"], cancelled["response"]["status_detail"]) == (
        "cancelled",
        "by_collector",
    )
    assert refused["status"] == 400 and refused["response"]["cause"][0]["code"] == 2063


async def test_merchant_order_follows_its_payments(mp) -> None:
    pref, rejected = await mp.paid("rejected")
    payment = (await mp.call(mp.sdk.payment().get, rejected))["response"]
    order_id = payment["order"]["id"]

    unpaid = (await mp.call(mp.sdk.merchant_order().get, order_id))["response"]
    assert (unpaid["status"], unpaid["order_status"]) == ("opened", "payment_required")

    approved = int((await mp.control.pay(pref["id"], "approved"))["payment_id"])
    paid = (await mp.call(mp.sdk.merchant_order().get, order_id))["response"]
    assert (paid["status"], paid["order_status"]) == ("closed", "paid")
    assert paid["preference_id"] == pref["id"] and paid["external_reference"] == pref["external_reference"]
    assert paid["total_amount"] == 30000 and paid["paid_amount"] == 30000
    assert [p["id"] for p in paid["payments"]] == [rejected, approved]

    await mp.control.set_status(approved, "refunded")
    reverted = (await mp.call(mp.sdk.merchant_order().get, order_id))["response"]
    assert reverted["order_status"] == "reverted" and reverted["refunded_amount"] == 30000

    missing = await mp.call(mp.sdk.merchant_order().get, 1)
    assert missing["status"] == 404


async def test_status_knob_refund_chargeback_and_late_approval(mp, http) -> None:
    _, refunded = await mp.paid("approved")
    _, charged = await mp.paid("approved")
    _, pending = await mp.paid("pending", binary_mode=False)

    await mp.control.set_status(refunded, "refunded")
    await mp.control.set_status(charged, "charged_back")
    await mp.control.set_status(pending, "approved")

    by_admin = (await mp.call(mp.sdk.payment().get, refunded))["response"]
    assert by_admin["status"] == "refunded" and by_admin["transaction_amount_refunded"] == 30000
    assert by_admin["refunds"][0]["source"]["type"] == "admin"
    chargeback = (await http.get("/v1/chargebacks/search", params={"payment_id": charged})).json()["results"][
        0
    ]
    assert chargeback["payments"] == [charged]
    assert (await mp.call(mp.sdk.chargeback().get, chargeback["id"]))["response"]["amount"] == 30000
    late = (await mp.call(mp.sdk.payment().get, pending))["response"]
    assert late["status"] == "approved" and late["date_approved"] is not None

    bogus = await http.post(f"/__emulator/payments/{pending}/status", json={"status": "lost"})
    assert bogus.status_code == 400

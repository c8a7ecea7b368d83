"""Refunds through the official SDK, with a stable x-idempotency-key (docs/integrations.md 1.4, 1.8)."""

from __future__ import annotations

from mercadopago.config import RequestOptions


def keyed(key: str) -> RequestOptions:
    """What purchase-svc does: one key per logical refund, so a retried call is the same refund."""
    return RequestOptions(custom_headers={"x-idempotency-key": key})


async def test_full_refund_is_idempotent_per_key(mp) -> None:
    _, payment_id = await mp.paid("approved")
    refunds = mp.sdk.refund()

    first = await mp.call(lambda: refunds.create(payment_id, request_options=keyed(f"refund-{payment_id}-1")))
    again = await mp.call(lambda: refunds.create(payment_id, request_options=keyed(f"refund-{payment_id}-1")))

    assert first["status"] == 201 and again["status"] == 201
    assert again["response"] == first["response"]
    refund = first["response"]
    assert refund["payment_id"] == payment_id and refund["amount"] == 30000 and refund["status"] == "approved"
    payment = (await mp.call(mp.sdk.payment().get, payment_id))["response"]
    assert (payment["status"], payment["status_detail"]) == ("refunded", "refunded")
    assert payment["transaction_amount_refunded"] == 30000
    listed = await mp.call(refunds.list_all, payment_id)
    assert [r["id"] for r in listed["response"]] == [refund["id"]]
    assert (await mp.call(refunds.get, payment_id, refund["id"]))["response"] == refund


async def test_partial_refunds_add_up_to_the_amount(mp) -> None:
    _, payment_id = await mp.paid("approved")
    refunds = mp.sdk.refund()

    def refund(amount: int | None, key: str):
        body = None if amount is None else {"amount": amount}
        return mp.call(lambda: refunds.create(payment_id, body, request_options=keyed(key)))

    first = await refund(10000, "p-1")
    replay = await refund(10000, "p-1")
    assert first["status"] == 201 and replay["response"]["id"] == first["response"]["id"]
    payment = (await mp.call(mp.sdk.payment().get, payment_id))["response"]
    assert (payment["status"], payment["status_detail"]) == ("approved", "partially_refunded")
    assert payment["transaction_amount_refunded"] == 10000

    too_much = await refund(25000, "p-2")
    assert too_much["status"] == 400 and too_much["response"]["error"] == "invalid_amount"

    reused = await refund(5000, "p-1")  # same key, another request
    assert reused["status"] == 409

    rest = await refund(None, "p-3")  # no body: what remains
    assert rest["status"] == 201 and rest["response"]["amount"] == 20000
    payment = (await mp.call(mp.sdk.payment().get, payment_id))["response"]
    assert payment["status"] == "refunded" and payment["transaction_amount_refunded"] == 30000
    assert len(payment["refunds"]) == 2

    nothing_left = await refund(None, "p-4")
    assert nothing_left["status"] == 400 and nothing_left["response"]["cause"][0]["code"] == 2063


async def test_only_approved_payments_are_refundable(mp) -> None:
    _, rejected = await mp.paid("rejected")
    answer = await mp.call(mp.sdk.refund().create, rejected)
    assert answer["status"] == 400 and answer["response"]["cause"][0]["code"] == 2063


async def test_amounts_must_be_positive_integers_for_clp(mp) -> None:
    _, payment_id = await mp.paid("approved")
    for amount in (100.5, 100.0, 0, -5, "100"):
        answer = await mp.call(mp.sdk.refund().create, payment_id, {"amount": amount})
        assert answer["status"] == 400, amount


async def test_the_idempotency_key_is_required(mp, http) -> None:
    _, payment_id = await mp.paid("approved")
    answer = await http.post(f"/v1/payments/{payment_id}/refunds")
    assert answer.status_code == 400 and answer.json()["error"] == "idempotency_key_required"


async def test_unknown_refund_is_404(mp) -> None:
    _, payment_id = await mp.paid("approved")
    assert (await mp.call(mp.sdk.refund().get, payment_id, 1))["status"] == 404

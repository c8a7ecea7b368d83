"""One order with its payment and refunds: what the console's order page shows, drawn from the
messages purchase-svc sent, for admins and the event's own coordinators (404 for anyone else)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx

from crowdify.contracts import purchase
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Bearer, Publish
from tests.sales import on_sale


def messages_of(messages: list[Any], order_id: uuid.UUID, kind: type[Any]) -> list[Any]:
    return [m for m in messages if isinstance(m, kind) and m.order_id == order_id]


async def test_an_order_shows_its_mercado_pago_payment_and_each_refund_with_its_tickets(
    worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    ana = f"ana-{uuid.uuid4().hex[:6]}"
    # Order 0 is charged back, order 1 partly refunded (tests/sales.py; seed 3: one of its two tickets).
    sale = on_sale(2, staff=(ana,), seed=3)
    for message in sale.messages:
        await publish(message)
    charged_back, partly = [o.order_id for o in sale.placed]
    paid = messages_of(sale.messages, partly, purchase.OrderPaidV1)[0]
    [refund] = messages_of(sale.messages, partly, purchase.OrderRefundedV1)
    assert not refund.full
    [issued] = messages_of(sale.messages, partly, TicketsIssuedV1)
    as_ana = bearer("coordinator", sub=ana)

    async def with_refund() -> dict[str, Any] | None:
        response = await client.get(f"/api/v1/admin/orders/{partly}", headers=as_ana)
        body = response.json() if response.status_code == 200 else None
        # Each kind of message is projected in its own batches, in any order: wait for every one
        # this test reads (the hold brings the total, the payment and the refund their lists).
        known = (
            body
            and body["payments"]
            and body["refunds"]
            and len(body["tickets"]) == len(issued.tickets)
            and all(body[field] is not None for field in ("total", "refunded", "buyer_email", "event_name"))
        )
        return body if known else None

    detail = await wait_until(with_refund, message="the order, its payment, refund and tickets known")
    assert (detail["order_id"], detail["event_id"], detail["status"]) == (
        str(partly),
        str(sale.event_id),
        "paid",
    )
    assert (detail["total"], detail["currency"], detail["refunded"]) == (paid.total, "CLP", refund.amount)
    assert detail["buyer_email"] == refund.buyer_email and detail["event_name"] == "Festival de Prueba"
    assert detail["payments"] == [
        {
            "payment_id": paid.payment_id,
            "provider": "mercado_pago",
            "status": "partially_refunded",
            "amount": paid.total,
            "refunded": refund.amount,
            "currency": "CLP",
            "paid_at": detail["payments"][0]["paid_at"],
        }
    ]
    assert datetime.fromisoformat(detail["payments"][0]["paid_at"]) == paid.paid_at
    [shown] = detail["refunds"]
    assert shown["refund_id"] == refund.refund_id
    assert (shown["amount"], shown["cause"], shown["full"]) == (refund.amount, "admin", False)
    assert shown["ticket_ids"] == [str(t) for t in refund.ticket_ids]
    revoked = {t["ticket_id"] for t in detail["tickets"] if t["revoked_at"]}
    assert revoked == {str(t) for t in refund.ticket_ids}
    assert {t["ticket_id"] for t in detail["tickets"]} == {str(t.id) for t in issued.tickets}

    async def charged_back_known() -> dict[str, Any] | None:
        response = await client.get(f"/api/v1/admin/orders/{charged_back}", headers=bearer("admin"))
        body = response.json() if response.status_code == 200 else None
        return body if body and body["payments"] and body["refunds"] else None

    reversed_ = await wait_until(charged_back_known, message="the charged-back order and its payment known")
    assert reversed_["status"] == "refunded"
    assert reversed_["payments"][0]["status"] == "charged_back"
    assert reversed_["refunds"][0]["cause"] == "chargeback" and reversed_["refunds"][0]["full"] is True


async def test_an_order_of_another_organisers_event_is_not_found(
    worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    bruno = f"bruno-{uuid.uuid4().hex[:6]}"
    sale = on_sale(1, staff=(bruno,), seed=8)
    for message in sale.messages:
        await publish(message)
    [order_id] = [o.order_id for o in sale.placed]
    path = f"/api/v1/admin/orders/{order_id}"

    async def known_to_bruno() -> bool:
        return (await client.get(path, headers=bearer("coordinator", sub=bruno))).status_code == 200

    await wait_until(known_to_bruno, message="the order and its staff known")
    refused = await client.get(path, headers=bearer("coordinator", sub="ana-other"))
    assert (refused.status_code, refused.json()["code"]) == (404, "order_not_found")
    unknown = await client.get(f"/api/v1/admin/orders/{uuid.uuid4()}", headers=bearer("admin"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "order_not_found")
    assert (await client.get(path, headers=bearer("admin"))).status_code == 200
    assert (await client.get(path, headers=bearer("user", sub=bruno))).status_code == 403
    assert (await client.get(path, headers=bearer("scanner", sub=bruno))).status_code == 403
    assert (await client.get(path)).status_code == 401
    # A malformed id names an order that cannot exist (docs/api.md).
    assert (await client.get("/api/v1/admin/orders/not-a-uuid", headers=bearer("admin"))).status_code == 404

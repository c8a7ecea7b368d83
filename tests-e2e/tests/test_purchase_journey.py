"""Buying through the gateway: the order is held by event-svc and gets its payment link in one
round trip; a sell-out race never sells more than there is."""

from __future__ import annotations

import asyncio
import uuid

from crowdify.auth import issue_backend_token
from crowdify.settings import ServiceSettings
from tests.conftest import bearer
from tests.test_catalogue_journey import publish_event


def buyer_token(n: int) -> str:
    secret = ServiceSettings().jwt_secret.get_secret_value()
    return issue_backend_token(
        secret, subject=f"e2e-buyer-{uuid.uuid4()}", role="user", email=f"buyer{n}@example.com"
    )


def order(event_id: str, type_id: str, quantity: int = 1) -> dict:
    return {
        "event_id": event_id,
        # No address: the order's emails go to the verified one of the buyer's account.
        "buyer": {"name": "Comprador"},
        "items": [{"ticket_type_id": type_id, "quantity": quantity}],
    }


async def test_a_buyer_orders_and_gets_a_payment_link(gateway, login, e2e):
    admin = await login("admin@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=20)
    buyer = await login("buyer@crowdify.test")
    response = await gateway.post(
        "/api/v1/purchases", json=order(event_id, type_id, 2), headers=bearer(buyer)
    )
    assert response.status_code == 201, response.text
    placed = response.json()
    assert placed["status"] == "awaiting_payment" and placed["total"] == 24000
    assert "/checkout/v1/redirect?pref_id=" in placed["payment_link"]
    mine = await gateway.get("/api/v1/purchases", headers=bearer(buyer))
    assert placed["id"] in [o["id"] for o in mine.json()["items"]]
    other = await login("coordinator@crowdify.test")
    assert (await gateway.get(f"/api/v1/purchases/{placed['id']}", headers=bearer(other))).status_code == 404


async def test_100_concurrent_buyers_for_10_tickets_through_the_gateway(gateway, login):
    admin = await login("admin@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=10)

    async def buy(n: int):
        # Each buyer comes from their own address, as they would on the internet (the edge
        # trusts X-Forwarded-For from this machine in development).
        headers = {**bearer(buyer_token(n)), "X-Forwarded-For": f"10.1.{n // 250}.{n % 250 + 1}"}
        return await gateway.post(
            "/api/v1/purchases", params={"wait": 10}, json=order(event_id, type_id), headers=headers
        )

    answers = await asyncio.gather(*(buy(n) for n in range(100)))
    assert [a.status_code for a in answers].count(201) == 100, [
        a.text for a in answers if a.status_code != 201
    ][:3]
    statuses = [a.json()["status"] for a in answers]
    assert statuses.count("awaiting_payment") == 10
    assert statuses.count("rejected") == 90

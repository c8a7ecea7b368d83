"""The README's walk-through, step by step as it is written: the seeded buyer logs in, finds the
demo event and orders a ticket with their own address, and gets a payment link."""

from __future__ import annotations

from tests.conftest import bearer

DEMO_EVENT = "Festival Crowdify Santiago"


async def test_the_seeded_buyer_orders_a_ticket_for_the_demo_event(gateway, login):
    buyer = await login("buyer@crowdify.test")
    listing = (await gateway.get("/api/v1/events", params={"search": "Festival Crowdify"})).json()
    event = listing["items"][0]
    assert event["name"] == DEMO_EVENT
    event = (await gateway.get(f"/api/v1/events/{event['id']}")).json()
    general = next(t for t in event["ticket_types"] if t["name"] == "General")

    response = await gateway.post(
        "/api/v1/purchases",
        json={
            "event_id": event["id"],
            "buyer": {"name": "Comprador Demo", "email": "buyer@crowdify.test"},
            "items": [{"ticket_type_id": general["id"], "quantity": 1}],
        },
        headers=bearer(buyer),
    )
    assert response.status_code == 201, response.text
    placed = response.json()
    assert placed["status"] == "awaiting_payment" and placed["total"] == general["price"]
    assert "/checkout/v1/redirect?pref_id=" in placed["payment_link"]

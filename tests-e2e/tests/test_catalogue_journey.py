"""An organiser publishes an event through the gateway; the public sees it; buyers reserve."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrdersPlacedV1, PlacedOrder
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.testing import wait_until
from tests.conftest import bearer


async def publish_event(gateway: httpx.AsyncClient, token: str, *, capacity: int = 50) -> tuple[str, str]:
    starts = (datetime.now(UTC) + timedelta(days=15)).isoformat()
    name = f"Cumbia en el Parque {uuid.uuid4().hex[:6]}"
    created = await gateway.post(
        "/api/v1/events",
        json={"name": name, "venue": "Parque Bustamante", "city": "Santiago", "starts_at": starts},
        headers=bearer(token),
    )
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    ticket_type = await gateway.post(
        f"/api/v1/events/{event_id}/ticket-types",
        json={"name": "General", "price": 12000, "capacity": capacity},
        headers=bearer(token),
    )
    assert ticket_type.status_code == 201, ticket_type.text
    published = await gateway.post(f"/api/v1/events/{event_id}/publish", headers=bearer(token))
    assert published.status_code == 200 and published.json()["status"] == "published"
    return event_id, ticket_type.json()["id"]


async def test_an_admin_publishes_and_the_public_browses(gateway, login):
    admin = await login("admin@crowdify.test")
    event_id, _ = await publish_event(gateway, admin)

    detail = await gateway.get(f"/api/v1/events/{event_id}")
    # The platform's database keeps every earlier run's events: the public finds this one by name.
    listing = await gateway.get("/api/v1/events", params={"search": detail.json()["name"]})
    assert listing.status_code == 200
    assert [e["id"] for e in listing.json()["items"]] == [event_id]
    assert detail.json()["ticket_types"][0]["available"] == 50
    assert detail.headers["x-request-id"]


async def test_a_coordinator_can_publish_but_a_buyer_cannot_create(gateway, login):
    coordinator = await login("coordinator@crowdify.test")
    await publish_event(gateway, coordinator)
    buyer = await login("buyer@crowdify.test")
    refused = await gateway.post(
        "/api/v1/events", json={"name": "x", "starts_at": "2030-01-01T20:00:00Z"}, headers=bearer(buyer)
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_orders_on_the_bus_hold_tickets_that_organisers_see_in_stats(gateway, login, e2e):
    admin = await login("admin@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=3)
    orders = [
        PlacedOrder(
            order_id=uuid.uuid4(),
            event_id=uuid.UUID(event_id),
            user_id="e2e-buyer",
            lines=(OrderLine(ticket_type_id=uuid.UUID(type_id), quantity=2),),
            placed_at=datetime.now(UTC),
        )
        for _ in range(3)
    ]
    # As purchase-api announces orders placed together: two in one message, one on its own.
    async with Publisher(e2e.amqp_url, e2e.amqp_exchange) as publisher:
        for batch in (orders[:2], orders[2:]):
            await publisher.publish(Envelope.wrap(OrdersPlacedV1(orders=tuple(batch)), correlation_id="e2e"))

    async def held() -> int:
        stats = await gateway.get(f"/api/v1/events/{event_id}/stats", headers=bearer(admin))
        assert stats.status_code == 200, stats.text
        return int(stats.json()["ticket_types"][0]["held"])

    # Capacity 3, three orders of 2: exactly one can be held.
    await wait_until(lambda: _equals(held(), 2), within=20, message="one order held")
    stats = (await gateway.get(f"/api/v1/events/{event_id}/stats", headers=bearer(admin))).json()
    assert stats["ticket_types"][0]["available"] == 1
    public = await gateway.get(f"/api/v1/events/{event_id}")
    assert public.json()["ticket_types"][0]["available"] == 1


async def _equals(awaitable, expected) -> bool:
    return await awaitable == expected

"""Attacks from the hardening review, replayed through the gateway against the running platform:
a door-device token opens only its own door, and one account cannot hold an event off sale."""

from __future__ import annotations

import uuid

import httpx

from crowdify.auth import issue_backend_token
from crowdify.settings import ServiceSettings
from crowdify.testing import wait_until
from tests.conftest import bearer
from tests.test_catalogue_journey import publish_event


def order(event_id: str, type_id: str, quantity: int) -> dict:
    return {
        "event_id": event_id,
        # No address: the order's emails go to the verified one of the buyer's account.
        "buyer": {"name": "Ana Pérez"},
        "items": [{"ticket_type_id": type_id, "quantity": quantity}],
    }


async def test_a_door_device_token_opens_only_its_door_and_nothing_once_revoked(gateway, login):
    admin = await login("admin@crowdify.test")
    event_id, _ = await publish_event(gateway, admin)
    other_event, other_type = await publish_event(gateway, admin)
    name = f"Puerta {uuid.uuid4().hex[:4]}"

    async def registered() -> httpx.Response | None:
        # validation-svc learns of the event from event-svc's message: until then it is a 404.
        answer = await gateway.post(
            "/api/v1/validation/devices", json={"name": name, "event_id": event_id}, headers=bearer(admin)
        )
        return answer if answer.status_code == 201 else None

    device = await wait_until(registered, message="validation-svc registers a device for the new event")
    door = bearer(device.json()["token"])

    # Its own door: the manifest of its event.
    assert (
        await gateway.get(f"/api/v1/validation/events/{event_id}/manifest", headers=door)
    ).status_code == 200
    # Nothing else, on any service.
    elsewhere = [
        await gateway.post("/api/v1/purchases", json=order(other_event, other_type, 1), headers=door),
        await gateway.get("/api/v1/purchases", headers=door),
        await gateway.get("/api/v1/tickets", headers=door),
        await gateway.post(
            "/api/v1/events", json={"name": "x", "starts_at": "2030-01-01T20:00:00Z"}, headers=door
        ),
    ]
    assert [r.status_code for r in elsewhere] == [401, 401, 401, 401], [r.text for r in elsewhere]

    revoked = await gateway.delete(f"/api/v1/validation/devices/{device.json()['id']}", headers=bearer(admin))
    assert revoked.status_code == 204
    after = await gateway.get(f"/api/v1/validation/events/{event_id}/manifest", headers=door)
    assert after.status_code == 401
    purchase = await gateway.post("/api/v1/purchases", json=order(other_event, other_type, 1), headers=door)
    assert purchase.status_code == 401


async def test_one_account_cannot_hold_the_event_off_sale(gateway, login):
    admin = await login("admin@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=40)  # max_per_order 10
    # An account of its own: orders are limited per account and minute, and other journeys order too.
    hoarder = bearer(
        issue_backend_token(
            ServiceSettings().jwt_secret.get_secret_value(),
            subject=f"e2e-hoarder-{uuid.uuid4()}",
            role="user",
            email="hoarder@example.com",
        )
    )

    first = await gateway.post("/api/v1/purchases", json=order(event_id, type_id, 10), headers=hoarder)
    assert first.status_code == 201 and first.json()["status"] == "awaiting_payment", first.text
    second = await gateway.post("/api/v1/purchases", json=order(event_id, type_id, 10), headers=hoarder)
    assert second.status_code == 409 and second.json()["code"] == "hold_limit_exceeded", second.text

    stats = await gateway.get(f"/api/v1/events/{event_id}", headers=bearer(admin))
    assert stats.json()["ticket_types"][0]["available"] == 30

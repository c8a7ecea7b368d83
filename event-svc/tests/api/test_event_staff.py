"""Organiser scope in event-svc: an event's staff is its creator plus the coordinators an admin
adds; a coordinator of event A gets 404 for event B on every route that manages an event; every
change of staff is announced with a growing revision."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from crowdify.testing import wait_until
from tests.api.test_events_api import bearer, new_event

STAFF_CHANGED = "catalog.event_staff.changed"


def scoped_requests(event_id: str, type_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every event-svc route a coordinator may use on an event of theirs."""
    return [
        ("GET", f"/api/v1/events/{event_id}", None),
        ("PATCH", f"/api/v1/events/{event_id}", {"venue": "Teatro Caupolicán"}),
        ("GET", f"/api/v1/events/{event_id}/stats", None),
        ("GET", f"/api/v1/events/{event_id}/staff", None),
        ("POST", f"/api/v1/events/{event_id}/ticket-types", {"name": "Platea", "price": 1000, "capacity": 5}),
        ("PATCH", f"/api/v1/events/{event_id}/ticket-types/{type_id}", {"price": 2000}),
        ("POST", f"/api/v1/events/{event_id}/publish", None),
    ]


async def test_a_coordinator_of_event_a_gets_404_for_event_b_on_every_route(
    client: httpx.AsyncClient, settings: Any, bus: Any
) -> None:
    ana, bruno = f"ana-{uuid.uuid4().hex[:6]}", f"bruno-{uuid.uuid4().hex[:6]}"
    as_ana, as_bruno = bearer(settings, "coordinator", ana), bearer(settings, "coordinator", bruno)
    created = await client.post(
        "/api/v1/events",
        json={"name": "Evento de Bruno", "starts_at": "2027-03-01T21:00:00-03:00"},
        headers=as_bruno,
    )
    event_b = created.json()["id"]
    type_b = (
        await client.post(
            f"/api/v1/events/{event_b}/ticket-types",
            json={"name": "General", "price": 1000, "capacity": 10},
            headers=as_bruno,
        )
    ).json()["id"]

    for method, path, body in scoped_requests(event_b, type_b):
        refused = await client.request(method, path, json=body, headers=as_ana)
        assert refused.status_code == 404, (method, path, refused.text)
        assert refused.json()["code"] == "not_found"
    # Bruno's draft is not in Ana's list either; an unknown event answers exactly the same.
    listed = (await client.get("/api/v1/events?status=draft&page_size=100", headers=as_ana)).json()
    assert event_b not in {e["id"] for e in listed["items"]}
    unknown = await client.patch(f"/api/v1/events/{uuid.uuid4()}", json={"venue": "x"}, headers=as_ana)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"

    # Admins see and manage every event; they add Ana to Bruno's event, and then she may too.
    for method, path, body in scoped_requests(event_b, type_b)[:4]:
        assert (
            await client.request(method, path, json=body, headers=bearer(settings, "admin"))
        ).status_code == 200
    added = await client.put(
        f"/api/v1/events/{event_b}/staff", json={"coordinators": [ana]}, headers=bearer(settings, "admin")
    )
    assert added.status_code == 200, added.text
    assert added.json() == {
        "event_id": event_b,
        "created_by": bruno,
        "coordinators": [ana],
        "staff": sorted([ana, bruno]),
        "revision": 2,
    }
    for method, path, body in scoped_requests(event_b, type_b):
        allowed = await client.request(method, path, json=body, headers=as_ana)
        assert allowed.status_code in (200, 201), (method, path, allowed.text)
    listed = (await client.get("/api/v1/events?page_size=100", headers=as_ana)).json()
    assert event_b in {e["id"] for e in listed["items"]}

    # Only admins change the staff; removing Ana leaves the creator.
    refused = await client.put(f"/api/v1/events/{event_b}/staff", json={"coordinators": []}, headers=as_bruno)
    assert refused.status_code == 403
    removed = await client.put(
        f"/api/v1/events/{event_b}/staff", json={"coordinators": []}, headers=bearer(settings, "admin")
    )
    assert removed.json()["staff"] == [bruno] and removed.json()["revision"] == 3
    assert (await client.get(f"/api/v1/events/{event_b}/stats", headers=as_ana)).status_code == 404

    def announced() -> list[dict[str, Any]] | None:
        found = [
            e.payload for e in bus.received if e.type == STAFF_CHANGED and e.payload["event_id"] == event_b
        ]
        return found if len(found) == 3 else None

    staff_messages = await wait_until(announced, message="three staff changes announced")
    assert sorted((m["revision"], tuple(m["staff"])) for m in staff_messages) == [
        (1, (bruno,)),
        (2, tuple(sorted([ana, bruno]))),
        (3, (bruno,)),
    ]


async def test_bad_staff_input_is_a_clear_4xx(client: httpx.AsyncClient, settings: Any) -> None:
    event = await new_event(client, settings)
    admin = bearer(settings, "admin")
    too_long = await client.put(
        f"/api/v1/events/{event['id']}/staff", json={"coordinators": ["x" * 65]}, headers=admin
    )
    assert too_long.status_code == 422
    unknown = await client.put(
        f"/api/v1/events/{uuid.uuid4()}/staff", json={"coordinators": []}, headers=admin
    )
    assert unknown.status_code == 404
    extra = await client.put(f"/api/v1/events/{event['id']}/staff", json={"staff": []}, headers=admin)
    assert extra.status_code == 422


async def test_a_coordinators_list_holds_only_the_events_they_run_even_published_ones(
    client: httpx.AsyncClient, settings: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    carla, diego = f"carla-{tag}", f"diego-{tag}"
    as_carla, as_diego = bearer(settings, "coordinator", carla), bearer(settings, "coordinator", diego)
    ids = {}
    for who, headers in (("carla", as_carla), ("diego", as_diego)):
        created = await client.post(
            "/api/v1/events",
            json={"name": f"Evento de {who} {tag}", "starts_at": "2027-03-01T21:00:00-03:00"},
            headers=headers,
        )
        event_id = created.json()["id"]
        added = await client.post(
            f"/api/v1/events/{event_id}/ticket-types",
            json={"name": "General", "price": 1000, "capacity": 10},
            headers=headers,
        )
        assert added.status_code == 201, added.text
        published = await client.post(f"/api/v1/events/{event_id}/publish", headers=headers)
        assert published.status_code == 200, published.text
        ids[who] = event_id

    def listed(page: Any) -> set[str]:
        return {e["id"] for e in page.json()["items"]}

    carlas = await client.get("/api/v1/events", params={"search": tag, "page_size": 100}, headers=as_carla)
    assert (listed(carlas), carlas.json()["total"]) == ({ids["carla"]}, 1)
    published_only = await client.get(
        "/api/v1/events", params={"search": tag, "status": "published"}, headers=as_carla
    )
    assert listed(published_only) == {ids["carla"]}
    # The public (the shop) and admins still see both published events.
    assert listed(await client.get("/api/v1/events", params={"search": tag})) == set(ids.values())
    admin = bearer(settings, "admin")
    assert listed(await client.get("/api/v1/events", params={"search": tag}, headers=admin)) == set(
        ids.values()
    )
    # Another's published event is still readable by id (it is public); only the list is scoped.
    assert (await client.get(f"/api/v1/events/{ids['diego']}", headers=as_carla)).status_code == 200

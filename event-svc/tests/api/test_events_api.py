"""The catalogue API through httpx against the app, with real tokens and the real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from crowdify.auth import issue_backend_token

STARTS = (datetime.now(UTC) + timedelta(days=20)).isoformat()


def bearer(settings, role: str, sub: str | None = None) -> dict[str, str]:
    token = issue_backend_token(settings.jwt_secret.get_secret_value(), subject=sub or f"{role}-1", role=role)
    return {"Authorization": f"Bearer {token}"}


async def new_event(client, settings, **fields) -> dict:
    body = {"name": "Los Bunkers en vivo", "venue": "Movistar Arena", "city": "Santiago", "starts_at": STARTS}
    body.update(fields)
    response = await client.post("/api/v1/events", json=body, headers=bearer(settings, "coordinator"))
    assert response.status_code == 201, response.text
    return response.json()


async def add_type(client, settings, event_id: str, **fields) -> dict:
    body = {"name": "Cancha", "price": 25000, "capacity": 100}
    body.update(fields)
    response = await client.post(
        f"/api/v1/events/{event_id}/ticket-types", json=body, headers=bearer(settings, "admin")
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_organiser_creates_adds_types_and_publishes(client, settings):
    event = await new_event(client, settings, capacity=150)
    assert event["status"] == "draft" and event["hold_minutes"] == 10
    assert event["timezone"] == "America/Santiago" and event["reentry_allowed"] is False
    ticket_type = await add_type(client, settings, event["id"])
    assert ticket_type["available"] == 100 and ticket_type["max_per_order"] == 10
    assert ticket_type["currency"] == "CLP"

    anonymous = await client.get(f"/api/v1/events/{event['id']}")
    assert anonymous.status_code == 404  # a draft is not public

    published = await client.post(f"/api/v1/events/{event['id']}/publish", headers=bearer(settings, "admin"))
    assert published.status_code == 200 and published.json()["status"] == "published"

    listing = await client.get("/api/v1/events", params={"search": "bunkers", "page_size": 100})
    assert listing.status_code == 200
    assert event["id"] in [e["id"] for e in listing.json()["items"]]
    shown = await client.get(f"/api/v1/events/{event['id']}")
    assert shown.json()["ticket_types"][0]["name"] == "Cancha"


async def test_roles_are_enforced(client, settings):
    body = {"name": "Sin permiso", "starts_at": STARTS}
    assert (await client.post("/api/v1/events", json=body)).status_code == 401
    response = await client.post("/api/v1/events", json=body, headers=bearer(settings, "user"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"
    assert (
        await client.post("/api/v1/events", json=body, headers=bearer(settings, "scanner"))
    ).status_code == 403

    event = await new_event(client, settings)
    cancel = await client.post(
        f"/api/v1/events/{event['id']}/cancel", headers=bearer(settings, "coordinator")
    )
    assert cancel.status_code == 403  # cancelling (and refunding everyone) is for admins
    stats = await client.get(f"/api/v1/events/{event['id']}/stats", headers=bearer(settings, "user"))
    assert stats.status_code == 403


async def test_identity_headers_from_clients_are_ignored(client, settings):
    event = await new_event(client, settings)
    forged = {"X-User-Id": "admin-1", "X-User-Role": "admin"}
    assert (await client.get(f"/api/v1/events/{event['id']}", headers=forged)).status_code == 404
    response = await client.post("/api/v1/events", json={"name": "x", "starts_at": STARTS}, headers=forged)
    assert response.status_code == 401


async def test_public_listing_shows_published_only_and_staff_filter_by_status(client, settings):
    draft = await new_event(client, settings, name="Borrador secreto")
    public = await client.get("/api/v1/events", params={"search": "Borrador secreto"})
    assert public.json()["total"] == 0
    assert (await client.get("/api/v1/events", params={"status": "draft"})).json()["items"] == []
    staff = await client.get(
        "/api/v1/events",
        params={"status": "draft", "search": "Borrador secreto"},
        headers=bearer(settings, "admin"),
    )
    assert [e["id"] for e in staff.json()["items"]] == [draft["id"]]


async def test_pagination_and_date_filters(client, settings):
    tag = uuid.uuid4().hex[:8]
    base = datetime.now(UTC) + timedelta(days=40)
    for day in range(3):
        event = await new_event(
            client, settings, name=f"Serie {tag} {day}", starts_at=(base + timedelta(days=day)).isoformat()
        )
        await add_type(client, settings, event["id"])
        await client.post(f"/api/v1/events/{event['id']}/publish", headers=bearer(settings, "admin"))
    page = await client.get("/api/v1/events", params={"search": tag, "page": 2, "page_size": 2})
    body = page.json()
    assert (body["total"], body["page"], body["page_size"], len(body["items"])) == (3, 2, 2, 1)
    window = await client.get(
        "/api/v1/events",
        params={
            "search": tag,
            "from": (base + timedelta(hours=12)).isoformat(),
            "to": (base + timedelta(days=1, hours=12)).isoformat(),
        },
    )
    assert [e["name"] for e in window.json()["items"]] == [f"Serie {tag} 1"]
    assert (await client.get("/api/v1/events", params={"page_size": 101})).status_code == 422


async def test_bad_input_is_a_clear_4xx(client, settings):
    admin = bearer(settings, "admin")
    response = await client.post("/api/v1/events", json={"name": "", "starts_at": "mañana"}, headers=admin)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_error"
    assert {"body.name", "body.starts_at"} <= {e["field"] for e in problem["errors"]}
    naive = await client.post(
        "/api/v1/events", json={"name": "x", "starts_at": "2030-01-01T20:00:00"}, headers=admin
    )
    assert naive.status_code == 422  # times need an offset
    backwards = await client.post(
        "/api/v1/events",
        json={"name": "x", "starts_at": STARTS, "ends_at": "2020-01-01T00:00:00Z"},
        headers=admin,
    )
    assert backwards.status_code == 422
    assert (await client.get("/api/v1/events/not-a-uuid")).status_code == 404
    assert (await client.get(f"/api/v1/events/{uuid.uuid4()}")).status_code == 404
    event = await new_event(client, settings)
    price = await client.post(
        f"/api/v1/events/{event['id']}/ticket-types",
        json={"name": "x", "price": 10.5, "capacity": 1},
        headers=admin,
    )
    assert price.status_code == 422  # no floats near money
    broken = await client.post(
        "/api/v1/events", content=b"{not json", headers={**admin, "Content-Type": "application/json"}
    )
    assert broken.status_code == 422


async def test_publishing_needs_a_draft_with_ticket_types(client, settings):
    admin = bearer(settings, "admin")
    event = await new_event(client, settings)
    empty = await client.post(f"/api/v1/events/{event['id']}/publish", headers=admin)
    assert empty.status_code == 409 and empty.json()["code"] == "invalid_status_transition"
    await add_type(client, settings, event["id"])
    assert (await client.post(f"/api/v1/events/{event['id']}/publish", headers=admin)).status_code == 200
    assert (await client.post(f"/api/v1/events/{event['id']}/publish", headers=admin)).status_code == 409
    cancelled = await client.post(
        f"/api/v1/events/{event['id']}/cancel", json={"reason": "lluvia"}, headers=admin
    )
    assert cancelled.json()["status"] == "cancelled"
    # Anyone reading the event (a buyer on its page) reads why.
    public = await client.get(f"/api/v1/events/{event['id']}")
    assert (public.json()["status"], public.json()["cancellation_reason"]) == ("cancelled", "lluvia")
    patch = await client.patch(f"/api/v1/events/{event['id']}", json={"name": "otra"}, headers=admin)
    assert patch.status_code == 409


async def test_capacity_cannot_drop_below_sold_and_held(client, settings, catalog):
    from crowdify.contracts.common import OrderLine
    from crowdify.contracts.purchase import OrderPlacedV1  # noqa: F401 - documents the real path
    from event_svc.service import inventory

    admin = bearer(settings, "admin")
    event = await new_event(client, settings)
    ticket_type = await add_type(client, settings, event["id"], capacity=10)
    await client.post(f"/api/v1/events/{event['id']}/publish", headers=admin)
    async with catalog.uow_factory() as uow:
        status = await inventory.reserve(
            uow,
            catalog.outbox,
            order_id=uuid.uuid4(),
            event_id=uuid.UUID(event["id"]),
            order_lines=[OrderLine(ticket_type_id=uuid.UUID(ticket_type["id"]), quantity=6)],
        )
    assert status == "held"
    url = f"/api/v1/events/{event['id']}/ticket-types/{ticket_type['id']}"
    too_low = await client.patch(url, json={"capacity": 5}, headers=admin)
    assert too_low.status_code == 409 and too_low.json()["code"] == "capacity_below_committed"
    ok = await client.patch(url, json={"capacity": 6, "price": 30000}, headers=admin)
    assert ok.status_code == 200 and ok.json()["available"] == 0 and ok.json()["price"] == 30000

    stats = await client.get(f"/api/v1/events/{event['id']}/stats", headers=bearer(settings, "coordinator"))
    assert stats.status_code == 200
    [row] = stats.json()["ticket_types"]
    assert (row["capacity"], row["sold"], row["held"], row["available"]) == (6, 0, 6, 0)
    assert stats.json()["event_id"] == event["id"]


async def test_health_ready_and_metrics(client):
    assert (await client.get("/health")).json()["status"] == "ok"
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "cache": "ok",
    }
    await client.get("/api/v1/events")
    metrics = await client.get("/metrics")
    assert 'crowdify_http_request_duration_seconds_count{method="GET",route="/api/v1/events"' in metrics.text


async def test_every_response_carries_a_request_id(client):
    generated = await client.get("/health")
    assert len(generated.headers["x-request-id"]) >= 16
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"


async def test_idempotency_key_replays_refuses_reuse_and_is_per_caller(client, settings):
    key = {"Idempotency-Key": f"create-{uuid.uuid4()}"}
    body = {"name": "Idempotente", "starts_at": STARTS}
    admin = bearer(settings, "admin", sub="admin-idem")
    first = await client.post("/api/v1/events", json=body, headers={**admin, **key})
    again = await client.post("/api/v1/events", json=body, headers={**admin, **key})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"

    reused = await client.post("/api/v1/events", json={**body, "name": "Otro"}, headers={**admin, **key})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"

    # A forged token naming the same organiser gets no replay: it is refused.
    forged = {
        "Authorization": "Bearer "
        + issue_backend_token("not-our-secret-but-long-enough-for-hs256", subject="admin-idem", role="admin")
    }
    assert (await client.post("/api/v1/events", json=body, headers={**forged, **key})).status_code == 401

    # Another organiser with the same key gets their own event, not the first caller's answer.
    other = await client.post(
        "/api/v1/events", json=body, headers={**bearer(settings, "admin", sub="admin-2"), **key}
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


async def test_concurrent_requests_with_one_key_create_one_event(client, settings):
    import asyncio

    key = {"Idempotency-Key": f"race-{uuid.uuid4()}"}
    name = f"Carrera {uuid.uuid4().hex[:8]}"
    admin = bearer(settings, "admin", sub="admin-race")
    answers = await asyncio.gather(
        *(
            client.post("/api/v1/events", json={"name": name, "starts_at": STARTS}, headers={**admin, **key})
            for _ in range(10)
        )
    )
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1
    assert all(a.status_code in (201, 409) for a in answers)
    listing = await client.get("/api/v1/events", params={"search": name, "status": "draft"}, headers=admin)
    assert listing.json()["total"] == 1


async def test_a_stray_slash_never_redirects_to_the_clients_host(client):
    # Starlette would answer 307 to http://<Host>/api/v1/events, whatever Host the client sent.
    response = await client.get("/api/v1/events/", headers={"Host": "attacker.example"})
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("application/problem+json")

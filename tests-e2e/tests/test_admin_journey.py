"""The admin journey through the gateway: an admin promotes a new user to coordinator (Supabase
Auth's admin API, audited); the next sign-in carries the role; that coordinator creates and sells
an event and cannot see another coordinator's; the event's dashboard and CSV exports agree with
what was sold and scanned."""

from __future__ import annotations

import csv
import io
import uuid

import httpx

from crowdify.testing import wait_until
from tests.conftest import SEED_PASSWORD, bearer
from tests.test_catalogue_journey import publish_event
from tests.test_order_to_door_journey import buy_and_pay

BOM = "\ufeff"


async def test_a_promoted_coordinator_runs_their_event_and_its_figures_match(gateway, supabase, login):
    admin = await login("admin@crowdify.test")
    email = f"productora.{uuid.uuid4().hex[:8]}@example.cl"
    created = await supabase.post("/__emulator/users", json={"email": email, "password": SEED_PASSWORD})
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]

    found = await gateway.get("/api/v1/admin/users", params={"search": email}, headers=bearer(admin))
    assert found.status_code == 200, found.text
    assert [(u["id"], u["role"]) for u in found.json()["items"]] == [(user_id, "user")]
    promoted = await gateway.patch(
        f"/api/v1/admin/users/{user_id}", json={"role": "coordinator"}, headers=bearer(admin)
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "coordinator", promoted.text
    audit = (
        await gateway.get("/api/v1/admin/audit", params={"user_id": user_id}, headers=bearer(admin))
    ).json()
    assert [(e["from_role"], e["to_role"]) for e in audit["items"]] == [("user", "coordinator")]

    # The next sign-in's token carries the role: the new coordinator creates and sells an event.
    coordinator = await login(email)
    event_id, type_id = await publish_event(gateway, coordinator, capacity=20)
    other_event, _ = await publish_event(gateway, await login("coordinator@crowdify.test"))
    for path in (
        f"/api/v1/events/{other_event}/stats",
        f"/api/v1/admin/events/{other_event}/dashboard",
        f"/api/v1/admin/events/{other_event}/exports/orders.csv",
    ):
        assert (await gateway.get(path, headers=bearer(coordinator))).status_code == 404, path

    buyer = await login("buyer@crowdify.test")
    orders = [await buy_and_pay(gateway, buyer, event_id, type_id, n) for n in (2, 1)]
    tickets = (await gateway.get(f"/api/v1/purchases/{orders[0]}", headers=bearer(buyer))).json()["tickets"]
    scanned = await gateway.post(
        "/api/v1/validation/scan",
        json={
            "qr_payload": tickets[0]["qr_payload"],
            "event_id": event_id,
            "gate": "norte",
            "direction": "in",
        },
        headers=bearer(await login("scanner@crowdify.test")),
    )
    assert scanned.json()["result"] == "admitted", scanned.text

    dashboard_url = f"/api/v1/admin/events/{event_id}/dashboard"

    seen: list[httpx.Response] = []

    async def settled() -> dict | None:
        response = await gateway.get(dashboard_url, headers=bearer(coordinator))
        seen.append(response)
        body = response.json() if response.status_code == 200 else None
        if body and body["sales"]["tickets_sold"] == 3 and body["attendance"]["admitted"] == 1:
            return body
        return None

    try:
        dashboard = await wait_until(settled, within=60, interval=0.5, message="the dashboard shows the sale")
    except AssertionError as error:
        raise AssertionError(f"{error}; last answer {seen[-1].status_code}: {seen[-1].text}") from None
    assert (dashboard["sales"]["gross"], dashboard["sales"]["net"]) == (36000, 36000)
    assert dashboard["funnel"]["paid"] == 2 and dashboard["attendance"]["by_gate"] == [
        {"gate": "norte", "admitted": 1}
    ]
    stats = (
        await gateway.get(
            "/api/v1/purchases/stats", params={"event_id": event_id}, headers=bearer(coordinator)
        )
    ).json()
    assert stats["gross"] == dashboard["sales"]["gross"]

    orders_csv = await gateway.get(
        f"/api/v1/admin/events/{event_id}/exports/orders.csv", headers=bearer(coordinator)
    )
    assert orders_csv.status_code == 200 and orders_csv.headers["content-type"].startswith("text/csv")
    text = orders_csv.content.decode("utf-8")
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix(BOM)), delimiter=";"))
    assert sorted((r["pedido"], r["estado"]) for r in rows) == sorted((o, "paid") for o in orders)

    async def everyone() -> list[dict[str, str]] | None:
        # The tickets reach the read model in batches of their own kind, a moment apart from the
        # payments the dashboard counts.
        attendees = await gateway.get(
            f"/api/v1/admin/events/{event_id}/exports/attendees.csv",
            params={"format": "csv"},
            headers=bearer(coordinator),
        )
        people = list(csv.DictReader(io.StringIO(attendees.text))) if attendees.status_code == 200 else []
        admitted = [p for p in people if p["estado"] == "ingresada"]
        return people if len(people) == 3 and admitted else None

    people = await wait_until(everyone, within=30, interval=0.5, message="three tickets in the attendees CSV")
    assert [(p["entrada"], p["puerta"]) for p in people if p["estado"] == "ingresada"] == [
        (tickets[0]["id"], "norte")
    ]

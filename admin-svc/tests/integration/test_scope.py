"""Organiser scope in admin-svc: a coordinator reads the dashboard and exports of the events they
are staff of and gets 404 for every other event; admins see every event; a change of staff
applies in revision order, whatever order its messages come in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from admin_svc.adapters.tables import journal
from admin_svc.settings import AdminSettings
from crowdify.contracts.catalog import EventStaffChangedV1
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Bearer, Publish
from tests.sales import on_sale

SCOPED_ROUTES = ("dashboard", "exports/orders.csv", "exports/attendees.csv")


async def status_of(
    client: httpx.AsyncClient, event_id: uuid.UUID, route: str, headers: dict[str, str]
) -> int:
    return (await client.get(f"/api/v1/admin/events/{event_id}/{route}", headers=headers)).status_code


async def test_a_coordinator_of_event_a_gets_404_for_event_b_on_every_scoped_route(
    worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    ana, bruno = f"ana-{uuid.uuid4().hex[:6]}", f"bruno-{uuid.uuid4().hex[:6]}"
    event_a, event_b = on_sale(3, staff=(ana,), seed=1), on_sale(3, staff=(bruno,), seed=2)
    for message in [*event_a.messages, *event_b.messages]:
        await publish(message)
    as_ana = bearer("coordinator", sub=ana)
    await wait_until(
        lambda: status_of(client, event_a.event_id, "dashboard", as_ana), message="event A's staff known"
    )

    async def ready() -> bool:
        return await status_of(client, event_b.event_id, "dashboard", bearer("coordinator", sub=bruno)) == 200

    await wait_until(ready, message="event B's staff known")
    for route in SCOPED_ROUTES:
        assert await status_of(client, event_a.event_id, route, as_ana) == 200, route
        response = await client.get(f"/api/v1/admin/events/{event_b.event_id}/{route}", headers=as_ana)
        assert response.status_code == 404, route
        assert response.json()["code"] == "event_not_found"
        assert await status_of(client, event_b.event_id, route, bearer("admin")) == 200, route
        assert await status_of(client, uuid.uuid4(), route, bearer("admin")) == 404, route
        assert await status_of(client, event_a.event_id, route, bearer("scanner", sub=ana)) == 403, route
        assert await status_of(client, event_a.event_id, route, bearer("user", sub=ana)) == 403, route
    assert (await client.get("/api/v1/admin/dashboard", headers=as_ana)).status_code == 403


async def test_staff_changes_apply_in_revision_order(
    worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer, settings: AdminSettings
) -> None:
    carla, diego = f"carla-{uuid.uuid4().hex[:6]}", f"diego-{uuid.uuid4().hex[:6]}"
    sale = on_sale(1, staff=(carla,), seed=4)
    for message in sale.messages:
        await publish(message)
    now = datetime.now(UTC)
    # Revision 3 (Diego only) comes before revision 2 (Carla and Diego): 3 stands.
    await publish(EventStaffChangedV1(event_id=sale.event_id, staff=(diego,), revision=3, changed_at=now))
    await publish(
        EventStaffChangedV1(event_id=sale.event_id, staff=(carla, diego), revision=2, changed_at=now)
    )

    async def diego_in() -> bool:
        return await status_of(client, sale.event_id, "dashboard", bearer("coordinator", sub=diego)) == 200

    await wait_until(diego_in, message="Diego added")

    async def all_three_taken_in() -> bool:
        engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
        try:
            async with UnitOfWorkFactory(engine)() as uow:
                query = select(func.count()).where(
                    journal.c.routing_key == EventStaffChangedV1.routing_key(),
                    journal.c.payload["event_id"].astext == str(sale.event_id),
                )
                return (await uow.session.execute(query)).scalar_one() == 3
        finally:
            await engine.dispose()

    await wait_until(all_three_taken_in, message="the three staff messages taken in")
    assert await status_of(client, sale.event_id, "dashboard", bearer("coordinator", sub=diego)) == 200
    assert await status_of(client, sale.event_id, "dashboard", bearer("coordinator", sub=carla)) == 404

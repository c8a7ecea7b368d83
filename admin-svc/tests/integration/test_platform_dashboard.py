"""The platform dashboard: today's sales, the events on sale and the doors of the coming week."""

from __future__ import annotations

from typing import Any

import httpx

from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Bearer, Publish
from tests.sales import PRICES, on_sale


async def test_the_platform_dashboard_lists_todays_sales_events_on_sale_and_upcoming_doors(
    worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    before = (await client.get("/api/v1/admin/dashboard", headers=bearer("admin"))).json()
    sold_before = sum(s["tickets"] for s in before["today"]["sales"])
    revenue_before = sum(s["revenue"] for s in before["today"]["sales"])
    sale = on_sale(10, seed=9, name="Noche de Cueca")
    for message in sale.messages:
        await publish(message)
    tickets = sum(sale.expected.sold.values())
    revenue = sum(PRICES[kind] * quantity for kind, quantity in sale.expected.sold.items())

    async def counted() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get("/api/v1/admin/dashboard", headers=bearer("admin"))).json()
        listed = {e["event_id"]: e for e in body["events_on_sale"]}
        mine = listed.get(str(sale.event_id))
        # The worker applies messages concurrently: an order's prices (from its reservation) may
        # land after its payment, so the revenue converges a moment after the ticket count.
        revenue_now = sum(s["revenue"] for s in body["today"]["sales"])
        complete = mine is not None and mine["tickets_sold"] == tickets
        # Admissions come in batches of their own too, and may land after the sales.
        door = next((e for e in body["upcoming_doors"] if e["event_id"] == str(sale.event_id)), None)
        admitted = door is not None and door["admitted"] == sum(sale.expected.admitted_by_gate.values())
        return body if complete and admitted and revenue_now >= revenue_before + revenue else None

    body = await wait_until(counted, within=30, message="the sale and its revenue on the platform dashboard")
    # Other tests sell at the same time in this database: today's figures grow by at least ours.
    assert sum(s["tickets"] for s in body["today"]["sales"]) >= sold_before + tickets
    doors = {e["event_id"]: e for e in body["upcoming_doors"]}
    assert doors[str(sale.event_id)]["name"] == "Noche de Cueca"
    assert doors[str(sale.event_id)]["admitted"] == sum(sale.expected.admitted_by_gate.values())

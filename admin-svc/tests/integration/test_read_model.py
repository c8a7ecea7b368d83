"""The reporting read model against the figures of what was sold, refunded and scanned: a burst of
200 orders whose messages arrive shuffled and partly twice, taken in by two workers at once; then
the same read model rebuilt from the journal."""

from __future__ import annotations

import random
from typing import Any

import httpx
from sqlalchemy import func, select

from admin_svc.adapters.tables import journal
from admin_svc.service.journal import rebuild
from admin_svc.settings import AdminSettings
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Bearer, Publish
from tests.sales import GATES, GENERAL, PRICES, VIP, Expected, on_sale


def expected_sales(expected: Expected) -> dict[str, Any]:
    by_type = {
        kind: {
            "tickets_sold": expected.sold[kind],
            "tickets_refunded": expected.refunded[kind],
            "gross": expected.sold[kind] * PRICES[kind],
            "refunded": expected.refunded[kind] * PRICES[kind],
            "net": (expected.sold[kind] - expected.refunded[kind]) * PRICES[kind],
        }
        for kind in (GENERAL, VIP)
    }
    return {
        "by_type": by_type,
        "gross": sum(t["gross"] for t in by_type.values()),
        "refunded": sum(t["refunded"] for t in by_type.values()),
        "funnel": {
            name: expected.funnel[name]
            for name in ("placed", "held", "paid", "expired", "rejected_sold_out", "rejected", "cancelled")
        },
        "refunds": {
            cause: (expected.refunds_by_cause[cause], expected.refund_amounts[cause])
            for cause in expected.refunds_by_cause
        },
        "by_gate": {
            gate: expected.admitted_by_gate[gate] for gate in GATES if expected.admitted_by_gate[gate]
        },
        "issued": expected.tickets_issued,
        "valid": expected.tickets_issued - expected.tickets_revoked,
    }


def shown(dashboard: dict[str, Any]) -> dict[str, Any]:
    sales = dashboard["sales"]
    return {
        "by_type": {
            t["name"]: {k: t[k] for k in ("tickets_sold", "tickets_refunded", "gross", "refunded", "net")}
            for t in sales["by_ticket_type"]
        },
        "gross": sales["gross"],
        "refunded": sales["refunded"],
        "funnel": dashboard["funnel"],
        "refunds": {r["cause"]: (r["count"], r["amount"]) for r in dashboard["refunds"]},
        "by_gate": {g["gate"]: g["admitted"] for g in dashboard["attendance"]["by_gate"]},
        "issued": dashboard["attendance"]["tickets_issued"],
        "valid": dashboard["attendance"]["tickets_valid"],
    }


async def journalled(settings: AdminSettings) -> int:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            return int((await uow.session.execute(select(func.count()).select_from(journal))).scalar_one())
    finally:
        await engine.dispose()


async def test_a_burst_of_200_orders_shuffled_and_redelivered_matches_what_was_sold(
    start_worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer, settings: AdminSettings
) -> None:
    sale = on_sale(200, seed=2026)
    envelopes = sale.envelopes()
    rng = random.Random(7)
    deliveries = envelopes + rng.sample(envelopes, len(envelopes) // 3)  # a third delivered twice
    rng.shuffle(deliveries)
    before = await journalled(settings)
    await start_worker()
    await start_worker()
    for envelope in deliveries:
        await publish(envelope=envelope)

    want = expected_sales(sale.expected)
    url = f"/api/v1/admin/events/{sale.event_id}/dashboard"

    async def settled() -> dict[str, Any] | None:
        answer = await client.get(url, headers=bearer("admin"))
        if answer.status_code == 404:
            return None  # the event itself is not projected yet (the read model lingers)
        dashboard = answer.json()
        return (
            dashboard
            if shown(dashboard) == want and await journalled(settings) - before == len(envelopes)
            else None
        )

    dashboard = await wait_until(settled, within=90, interval=0.5, message="the read model to match the sale")
    assert dashboard["event"]["name"] == "Festival de Prueba"
    assert sum(p["tickets"] for p in dashboard["sales"]["over_time"]) == sum(sale.expected.sold.values())
    assert sum(p["revenue"] for p in dashboard["sales"]["over_time"]) == want["gross"]
    assert dashboard["sales"]["bucket"] == "minute"
    assert sum(p["admitted"] for p in dashboard["attendance"]["over_time"]) == sum(want["by_gate"].values())
    # Every message is journalled exactly once, whatever was delivered twice.
    assert await journalled(settings) - before == len(envelopes)

    # Rebuilt from the journal alone, the read model is the same.
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        assert await rebuild(UnitOfWorkFactory(engine), batch_size=97) == await journalled(settings)
    finally:
        await engine.dispose()
    again = (await client.get(url, headers=bearer("admin"))).json()
    assert again == dashboard

    orders_csv = (
        await client.get(
            f"/api/v1/admin/events/{sale.event_id}/exports/orders.csv?format=csv", headers=bearer("admin")
        )
    ).text
    rows = [line.split(",") for line in orders_csv.strip().split("\r\n")[1:]]
    assert {row[0]: row[1] for row in rows} == sale.expected.statuses

"""A backlog of messages (the worker was down, or a rush outran it) is taken in by batches: far
fewer transactions than messages, the figures of the sale, and the same read model, dashboard and
exports as a rebuild from the journal (which replays it in an order of its own)."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from admin_svc.service.journal import rebuild
from admin_svc.settings import AdminSettings
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Bearer, Publish, StartWorker
from tests.read_model import read_model
from tests.sales import on_sale

# The sale's messages in the journal, and how many transactions wrote them (now() is the time
# its transaction started, the same for every row a transaction writes).
JOURNALLED = text("""
    SELECT count(*) AS messages, count(DISTINCT received_at) AS transactions FROM admin.journal
    WHERE message_id = ANY(CAST(:ids AS uuid[]))
""")


async def test_a_backlog_is_taken_in_by_batches_with_the_same_figures(
    start_worker: StartWorker,
    publish: Publish,
    settings: AdminSettings,
    client: httpx.AsyncClient,
    bearer: Bearer,
) -> None:
    idle = await start_worker()  # declares the queue, so what follows waits in it
    await idle.stop()
    sale = on_sale(60, seed=31, name="Rock en Conce")
    sent = [str((await publish(message)).id) for message in sale.messages]
    await start_worker(consumer_prefetch=256)

    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:

        async def journalled() -> dict[str, Any] | None:
            async with engine.connect() as conn:
                row = (await conn.execute(JOURNALLED, {"ids": sent})).mappings().one()
            return dict(row) if row["messages"] == len(sale.messages) else None

        counted = await wait_until(journalled, within=60, message="the backlog in the journal")
        assert counted["transactions"] < len(sale.messages) // 4, counted  # one per message before batches

        dashboard = await client.get(
            f"/api/v1/admin/events/{sale.event_id}/dashboard", headers=bearer("admin")
        )
        assert dashboard.status_code == 200
        body = dashboard.json()
        assert body["attendance"]["tickets_issued"] == sale.expected.tickets_issued
        assert body["attendance"]["admitted"] == sum(sale.expected.admitted_by_gate.values())
        assert body["funnel"]["paid"] == sale.expected.funnel["paid"]
        assert body["funnel"]["expired"] == sale.expected.funnel["expired"]
        assert body["funnel"]["rejected"] == sale.expected.funnel["rejected"]
        assert body["funnel"]["cancelled"] == sale.expected.funnel["cancelled"]

        exports = f"/api/v1/admin/events/{sale.event_id}/exports"
        shown = {
            name: (await client.get(f"{exports}/{name}.csv", headers=bearer("admin"))).content
            for name in ("orders", "attendees")
        }
        async with engine.connect() as conn:
            batched = await read_model(conn, sale.event_id)
        assert len(batched["orders"]) == 60

        await rebuild(UnitOfWorkFactory(engine), batch_size=50)
        async with engine.connect() as conn:
            assert await read_model(conn, sale.event_id) == batched
    finally:
        await engine.dispose()
    again = await client.get(f"/api/v1/admin/events/{sale.event_id}/dashboard", headers=bearer("admin"))
    assert again.json() == body
    for name, content in shown.items():
        assert (await client.get(f"{exports}/{name}.csv", headers=bearer("admin"))).content == content

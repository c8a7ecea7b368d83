"""What the read model costs the worker per message: a backlog of an on-sale's messages is
published while the worker is down, then drained; the worker's process CPU (it runs in this
process) and the wall time of the drain are printed per message.

In the suite it drains a small backlog (200 orders, about five messages each): every message must
reach the journal. As a measurement, a larger one, compared between two runs of one machine:
``ADMIN_SVC_DRAIN_BENCH=1000 uv run --frozen pytest admin-svc/tests/bench -q -s``.
"""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import text

from admin_svc.settings import AdminSettings
from crowdify.db import create_engine
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Publish, StartWorker
from tests.sales import on_sale

# An opt-in switch of the test run, not a setting of the service.
ORDERS = int(os.environ.get("ADMIN_SVC_DRAIN_BENCH", "200"))  # noqa: TID251

JOURNALLED = text("SELECT count(*) FROM admin.journal WHERE message_id = ANY(CAST(:ids AS uuid[]))")


@pytest.mark.timeout(1800)
async def test_cpu_per_message_draining_a_backlog(
    start_worker: StartWorker, publish: Publish, settings: AdminSettings
) -> None:
    idle = await start_worker()  # declares the queue, so what follows waits in it
    await idle.stop()
    sale = on_sale(ORDERS, seed=5, name="Drain")
    started = time.perf_counter()
    sent = [str((await publish(message)).id) for message in sale.messages]
    print(f"\npublished {len(sale.messages)} messages in {time.perf_counter() - started:.1f} s")

    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:

        async def drained() -> bool:
            async with engine.connect() as conn:
                count: int = (await conn.execute(JOURNALLED, {"ids": sent})).scalar_one()
            return count == len(sale.messages)

        cpu, wall = time.process_time(), time.perf_counter()
        await start_worker(consumer_prefetch=256)
        await wait_until(drained, within=600, interval=0.2, message="the backlog drained")
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await engine.dispose()
    count = len(sale.messages)
    print(
        f"\n{count} messages ({ORDERS} orders): {cpu:.2f} s CPU, {wall:.2f} s wall; "
        f"{cpu / count * 1000:.3f} ms CPU per message, {cpu / ORDERS * 1000:.2f} ms per order"
    )

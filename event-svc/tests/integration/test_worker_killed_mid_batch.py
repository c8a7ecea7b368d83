"""``kill -9`` of a real worker process while it decides a backlog in batches: after a restart
every order is decided exactly once and nothing is oversold (ADR 0018)."""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import uuid
from collections import defaultdict

from sqlalchemy import func, select

from crowdify.testing import wait_until
from event_svc.adapters.tables import hold_lines, holds
from event_svc.settings import EventSettings
from tests.factories import published_event, type_values
from tests.integration.test_hold_batches import declare_queues
from tests.integration.test_reservations import counters, placed


async def spawn_worker(settings: EventSettings) -> asyncio.subprocess.Process:
    """``python -m event_svc.worker`` on this test's database and queues, configured only by the
    environment given here (run from the temporary directory, so no .env file is read)."""
    env = {
        "CROWDIFY_ENV": settings.environment,
        "EVENT_SVC_DATABASE_URL": settings.database_url,
        "AMQP_URL": settings.amqp_url,
        "AMQP_EXCHANGE": settings.amqp_exchange,
        "AMQP_QUEUE_TYPE": settings.amqp_queue_type,
        "EVENT_SVC_ORDERS_QUEUE": settings.reservations_queue,
        "EVENT_SVC_WORKER_METRICS_PORT": "0",
        "DB_POOL_SIZE": "3",
        "LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "event_svc.worker", env=env, cwd=tempfile.gettempdir()
    )


async def decided(catalog, event_id: uuid.UUID) -> int:
    async with catalog.uow_factory() as uow:
        return (
            await uow.session.execute(select(func.count()).where(holds.c.event_id == event_id))
        ).scalar_one()


async def held_in_lines(catalog, event_id: uuid.UUID) -> int:
    async with catalog.uow_factory() as uow:
        return (
            await uow.session.execute(
                select(func.coalesce(func.sum(hold_lines.c.quantity), 0))
                .select_from(holds.join(hold_lines, hold_lines.c.order_id == holds.c.order_id))
                .where(holds.c.event_id == event_id, holds.c.status == "held")
            )
        ).scalar_one()


async def test_a_worker_killed_mid_batch_decides_every_order_exactly_once(
    catalog, settings, make_worker, bus
):
    capacity = 400
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=capacity)])
    await declare_queues(make_worker)
    orders = [placed(event_id, type_id, quantity=1 + n % 2) for n in range(1000)]
    for order in orders:
        await bus.send(order)

    doomed = await spawn_worker(settings)
    try:
        # Killed as soon as the first batches have committed, while the backlog is being decided.
        await wait_until(lambda: decided(catalog, event_id), within=60, interval=0.01, message="first batch")
    finally:
        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
    decided_before_restart = await decided(catalog, event_id)
    assert 0 < decided_before_restart < len(orders)

    survivor = await spawn_worker(settings)
    try:
        await wait_until(
            lambda: len({d["order_id"] for _, _, d in bus.decisions()}) == len(orders),
            within=120,
            message="every order decided after the restart",
        )
    finally:
        survivor.send_signal(signal.SIGTERM)
        await survivor.wait()

    assert await decided(catalog, event_id) == len(orders)
    # Exactly once: one decision per order (a message the relay sent again after the kill keeps
    # its id, so consumers drop it; a second decision would have an id of its own).
    decision_ids: dict[str, set[uuid.UUID]] = defaultdict(set)
    held_once: dict[str, dict] = {}
    for envelope, kind, decision in bus.decisions():
        decision_ids[decision["order_id"]].add(envelope.id)
        if kind == "held":
            held_once[decision["order_id"]] = decision
    assert all(len(ids) == 1 for ids in decision_ids.values())
    announced = sum(line["quantity"] for d in held_once.values() for line in d["lines"])
    held = await held_in_lines(catalog, event_id)
    assert announced == held == capacity  # orders of one ticket keep coming after the last pair fits
    assert await counters(catalog, type_id) == (0, capacity)

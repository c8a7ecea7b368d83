"""Cancelled events settle their orders outside the message's transaction: more cancellations
at once than the worker's pool has connections, each event with unpaid orders, all settle, each
order announced once with cause ``event_cancelled``; a cancellation delivered again changes
nothing."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

from sqlalchemy import select

from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import wait_until
from crowdify.testing.rabbitmq import recording
from purchase_svc.adapters.tables import orders

# More than the worker's pool allows at once (settings' db_pool_size 5, as many again in a burst),
# and under the consumer's prefetch: every cancellation is in hand at the same time.
EVENTS = 12
ORDERS_PER_EVENT = 2


async def _statuses(settings: Any, event_ids: list[str]) -> dict[str, str]:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            query = select(orders.c.id, orders.c.status).where(
                orders.c.event_id.in_([uuid.UUID(e) for e in event_ids])
            )
            return {str(row.id): row.status for row in (await uow.session.execute(query)).all()}
    finally:
        await engine.dispose()


async def _place(client: Any, bearer: Any, sale: dict[str, Any]) -> dict[str, Any]:
    body = {
        "event_id": sale["event_id"],
        "buyer": {"name": "Ana Pérez", "email": "ana@example.com"},
        "items": [{"ticket_type_id": sale["ticket_type_id"], "quantity": 1}],
    }
    answer = await client.post("/api/v1/purchases", json=body, headers=bearer(sub=f"buyer-{uuid.uuid4()}"))
    assert answer.status_code in (200, 201, 202), answer.text
    order: dict[str, Any] = answer.json()
    return order


async def test_many_cancellations_at_once_settle_every_order_and_announce_each_once(
    start_worker, client, bearer, event_svc, settings
):
    first = await start_worker()  # its queue exists from now on: it learns of the events
    sales = [await event_svc.on_sale(capacity=ORDERS_PER_EVENT) for _ in range(EVENTS)]
    placed = [await _place(client, bearer, sale) for sale in sales for _ in range(ORDERS_PER_EVENT)]
    assert {order["status"] for order in placed} == {"awaiting_payment"}, placed
    event_ids = [sale["event_id"] for sale in sales]

    async with recording(settings.amqp_url, settings.amqp_exchange, "purchase.order.cancelled.#") as told:
        # The cancellations queue up while no worker consumes, and arrive together.
        await first.stop()
        for event_id in event_ids:
            await event_svc.cancel(event_id)
        await start_worker()

        async def all_cancelled() -> dict[str, str] | None:
            now = await _statuses(settings, event_ids)
            return now if set(now.values()) == {"cancelled"} else None

        settled = await wait_until(all_cancelled, within=30, message="every order of the cancelled events")
        assert len(settled) == EVENTS * ORDERS_PER_EVENT

        async def each_announced() -> bool:
            return len(told) >= len(placed)

        await wait_until(each_announced, message="each order's cancellation announced")
        # Delivered again (a redelivery, a replay): nothing more is settled or announced.
        await event_svc.cancel(event_ids[0])
        await _place(client, bearer, await event_svc.on_sale())  # a round trip through the worker
        per_order = Counter(str(envelope.payload["order_id"]) for envelope in told)
        assert per_order == Counter({order["id"]: 1 for order in placed}), per_order
        assert {envelope.payload["cause"] for envelope in told} == {"event_cancelled"}
    assert event_svc.taken.total() == 1  # every hold of the cancelled events released

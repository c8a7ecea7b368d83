"""Expired holds applied in batches: a backlog of ``catalog.hold.expired`` (an on-sale's holds
ending together) expires its orders a batch per transaction and announces each once; an order
cancelled meanwhile, or an expiry sent twice, changes nothing more."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from crowdify.contracts.catalog import HoldExpiredV1
from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import wait_until
from crowdify.testing.rabbitmq import recording
from purchase_svc.adapters.tables import orders

BUYERS = 12


async def _orders_of(settings: Any, event_id: str) -> dict[str, dict[str, Any]]:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            query = select(orders).where(orders.c.event_id == uuid.UUID(event_id))
            return {str(row["id"]): dict(row) for row in (await uow.session.execute(query)).mappings()}
    finally:
        await engine.dispose()


def _expired(order_id: str, sale: dict[str, Any]) -> HoldExpiredV1:
    line = OrderLine(ticket_type_id=uuid.UUID(sale["ticket_type_id"]), quantity=2)
    return HoldExpiredV1(
        order_id=uuid.UUID(order_id),
        event_id=uuid.UUID(sale["event_id"]),
        expired_at=datetime.now(UTC),
        lines=(line,),
    )


async def test_a_backlog_of_expired_holds_expires_its_orders_in_batches_and_announces_each_once(
    start_worker, client, bearer, event_svc, publish, settings
):
    first = await start_worker()  # its queue exists from now on: it learns of the event
    sale = await event_svc.on_sale(capacity=2 * BUYERS)
    body = {
        "event_id": sale["event_id"],
        "buyer": {"name": "Ana Pérez", "email": "ana@example.com"},
        "items": [{"ticket_type_id": sale["ticket_type_id"], "quantity": 2}],
    }
    tokens = [bearer(sub=f"buyer-{n}-{uuid.uuid4()}") for n in range(BUYERS)]
    placed = [(await client.post("/api/v1/purchases", json=body, headers=token)).json() for token in tokens]
    assert {order["status"] for order in placed} == {"awaiting_payment"}, placed
    cancelled, unpaid = placed[0], placed[1:]
    answer = await client.post(f"/api/v1/purchases/{cancelled['id']}/cancel", headers=tokens[0])
    assert answer.json()["status"] == "cancelled", answer.text

    async with recording(settings.amqp_url, settings.amqp_exchange, "purchase.order.expired.#") as announced:
        await first.stop()
        # The holds end together while no worker consumes: the expiries queue up, one of them
        # twice, one for the order its buyer cancelled.
        for order in unpaid:
            await event_svc.expire(order["id"])
        await publish(_expired(unpaid[0]["id"], sale))
        await publish(_expired(cancelled["id"], sale))
        await start_worker()

        async def all_expired() -> dict[str, dict[str, Any]] | None:
            now = await _orders_of(settings, sale["event_id"])
            return now if all(now[o["id"]]["status"] == "expired" for o in unpaid) else None

        after = await wait_until(all_expired, message="every unpaid order expired with its hold")

        async def all_announced() -> bool:
            return len(announced) >= len(unpaid)

        await wait_until(all_announced, message="each expiry announced")

    assert after[cancelled["id"]]["status"] == "cancelled"
    assert sorted(str(m.payload["order_id"]) for m in announced) == sorted(o["id"] for o in unpaid)
    message = next(m.payload for m in announced if str(m.payload["order_id"]) == unpaid[1]["id"])
    assert message["lines"] == [{"ticket_type_id": sale["ticket_type_id"], "quantity": 2}]
    assert (message["total"], message["currency"]) == (unpaid[1]["total"], "CLP")
    assert (message["buyer_email"], message["buyer_name"]) == ("ana@example.com", "Ana Pérez")
    assert message["event_name"] == "Cumbia Fest" and message["event_starts_at"] is not None
    # Orders moved by one transaction share its time: far fewer transactions than orders.
    times = {after[o["id"]]["updated_at"] for o in unpaid}
    assert len(times) <= len(unpaid) // 3, sorted(times)

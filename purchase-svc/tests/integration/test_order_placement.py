"""Placing an order in one statement: one order per Idempotency-Key however many requests race,
a retry after a lost answer finds its order, and the advisory catalogue check never judges an
order against a snapshot older than the one stored."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import TextClause, func, select, text, update

from crowdify.auth import Principal
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import wait_until
from crowdify.testing.round_trips import statements_sent
from purchase_svc.adapters.tables import catalog_events, order_items, orders
from purchase_svc.api.schemas import OrderIn
from purchase_svc.service.context import Purchases
from purchase_svc.service.placing import order_id_for, place_order
from purchase_svc.settings import SCHEMA
from tests.integration.test_order_saga import order_body


async def _count(settings: Any, statement: Any) -> int:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            return int((await uow.session.execute(statement)).scalar_one())
    finally:
        await engine.dispose()


def announcements(order_ids: list[uuid.UUID], *, messages: bool = False, unsent: bool = False) -> TextClause:
    """How many times the outbox announces these orders (each order of each
    ``purchase.orders.placed`` row counts once), or with ``messages`` in how many rows; with
    ``unsent``, only in rows not published yet."""
    counted = "count(DISTINCT outbox.id)" if messages else "count(*)"
    return text(f"""
        SELECT {counted} FROM {SCHEMA}.outbox,
             jsonb_array_elements(outbox.envelope -> 'payload' -> 'orders') AS placed(item)
        WHERE outbox.envelope ->> 'type' = 'purchase.orders.placed'
          AND placed.item ->> 'order_id' = ANY(CAST(:ids AS text[]))
          {"AND outbox.published_at IS NULL" if unsent else ""}
    """).bindparams(ids=[str(i) for i in order_ids])


def _buyer() -> Principal:
    return Principal(
        user_id=f"buyer-{uuid.uuid4()}", role="user", email="ana@example.com", token_kind="backend"
    )


async def test_racing_requests_with_one_idempotency_key_place_one_order(client, event_svc, settings):
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    buyer = _buyer()
    order_id = order_id_for(buyer, f"key-{uuid.uuid4()}")
    command = OrderIn.model_validate(order_body(sale)).to_command()

    placed = await asyncio.gather(*(place_order(purchases, command, buyer, order_id) for _ in range(8)))

    assert placed.count(True) == 1, placed
    assert await _count(settings, select(func.count()).where(orders.c.id == order_id)) == 1
    assert await _count(settings, select(func.count()).where(order_items.c.order_id == order_id)) == 1
    assert await _count(settings, announcements([order_id])) == 1


async def test_a_retry_whose_answer_was_lost_gets_the_order_placed_before(
    client, bearer, event_svc, settings
):
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    buyer = _buyer()
    key = f"key-{uuid.uuid4()}"
    # Placed, then the process died before the answer was stored: only the order exists.
    order_id = order_id_for(buyer, key)
    assert await place_order(
        purchases, OrderIn.model_validate(order_body(sale)).to_command(), buyer, order_id
    )

    retry = await client.post(
        "/api/v1/purchases",
        json=order_body(sale),
        params={"wait": 0},
        headers={**bearer(sub=buyer.user_id), "Idempotency-Key": key},
    )

    assert retry.status_code == 202, retry.text
    assert retry.json()["id"] == str(order_id)
    assert await _count(settings, select(func.count()).where(orders.c.user_id == buyer.user_id)) == 1


async def _known_snapshot(settings: Any, event_id: uuid.UUID) -> dict[str, Any] | None:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            query = select(catalog_events.c.snapshot).where(
                catalog_events.c.id == event_id, catalog_events.c.status == "published"
            )
            snapshot: dict[str, Any] | None = (await uow.session.execute(query)).scalar()
            return snapshot
    finally:
        await engine.dispose()


async def _store_newer_snapshot(settings: Any, event_id: uuid.UUID, snapshot: dict[str, Any]) -> None:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            await uow.session.execute(
                update(catalog_events)
                .where(catalog_events.c.id == event_id)
                .values(snapshot=snapshot, as_of=catalog_events.c.as_of + timedelta(seconds=1))
            )
    finally:
        await engine.dispose()


async def test_an_order_is_judged_against_the_newest_catalogue_snapshot(
    platform, client, bearer, event_svc, settings
):
    sale = await event_svc.on_sale(capacity=100, max_per_order=4)
    event_id = uuid.UUID(sale["event_id"])
    snapshot = await wait_until(
        lambda: _known_snapshot(settings, event_id), message="purchase-svc knows the published event"
    )
    headers = bearer()
    first = await client.post(
        "/api/v1/purchases", json=order_body(sale, 3), params={"wait": 0}, headers=headers
    )
    assert first.status_code in (201, 202), first.text  # judged against (and remembered) four per order

    for ticket_type in snapshot["ticket_types"]:
        ticket_type["max_per_order"] = 2
    await _store_newer_snapshot(settings, event_id, snapshot)

    refused = await client.post(
        "/api/v1/purchases", json=order_body(sale, 3), params={"wait": 0}, headers=headers
    )
    assert refused.status_code == 422, refused.text
    assert "at most 2 tickets" in refused.json()["detail"]
    other = bearer(sub=f"buyer-{uuid.uuid4()}")
    allowed = await client.post(
        "/api/v1/purchases", json=order_body(sale, 2), params={"wait": 0}, headers=other
    )
    assert allowed.status_code in (201, 202), allowed.text


async def test_a_new_order_costs_the_api_four_round_trips(platform, client, bearer, event_svc, settings):
    sale = await event_svc.on_sale(capacity=100)
    await wait_until(
        lambda: _known_snapshot(settings, uuid.UUID(sale["event_id"])),
        message="purchase-svc knows the published event",
    )
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]

    async def place() -> list[str]:
        with statements_sent(purchases.uow_factory.engine) as sent:
            response = await client.post(
                "/api/v1/purchases", json=order_body(sale), params={"wait": 0}, headers=bearer()
            )
        assert response.status_code == 202, response.text
        return sent

    await place()  # the process reads the catalogue once per event; asyncpg learns the row types
    sent = await place()

    # The order with its outbox row in one statement; its message sent with the lock taken in the
    # BEGIN's round trip and the mark in the COMMIT's; the order read once.
    assert len(sent) == 4, sent
    assert sent[0].lstrip().startswith("WITH recent AS")
    assert sent[1].startswith("BEGIN;") and "FOR UPDATE SKIP LOCKED" in sent[1]
    assert sent[2].startswith("UPDATE") and sent[2].endswith("COMMIT")
    assert f"FROM {SCHEMA}.orders o WHERE o.id = $1" in sent[3]

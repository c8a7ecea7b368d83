"""event-svc's decisions applied in batches: a backlog of decisions (``catalog.holds.decided.v1``,
several orders per message, beside the per-order messages event-svc sent before it) moves its
orders together (one transaction per batch), wakes every request waiting for them, and a batch
sent again, or a contradicting decision for the same orders, changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from crowdify.contracts.catalog import (
    HeldOrder,
    HoldsDecidedV1,
    PricedLine,
    RefusedOrder,
    ReservationRejectedV1,
    TicketsReservedV1,
)
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.messaging.envelope import Envelope
from crowdify.testing import wait_until
from purchase_svc.adapters.tables import messaging, orders

BUYERS = 12
GENERAL = uuid.uuid4()


def _body(event_id: uuid.UUID, ticket_type_id: uuid.UUID) -> dict[str, Any]:
    return {
        "event_id": str(event_id),
        "buyer": {"name": "Ana Pérez"},
        "items": [{"ticket_type_id": str(ticket_type_id), "quantity": 2}],
    }


async def _orders_of(settings: Any, event_id: uuid.UUID) -> list[dict[str, Any]]:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            query = select(orders).where(orders.c.event_id == event_id).order_by(orders.c.id)
            return [dict(row) for row in (await uow.session.execute(query)).mappings()]
    finally:
        await engine.dispose()


def _held(order_id: uuid.UUID, event_id: uuid.UUID, ticket_type_id: uuid.UUID) -> HeldOrder:
    return HeldOrder(
        order_id=order_id,
        event_id=event_id,
        hold_expires_at=datetime.now(UTC) + timedelta(minutes=10),
        lines=(
            PricedLine(
                ticket_type_id=ticket_type_id,
                ticket_type_name="General",
                quantity=2,
                unit_price=15000,
                currency="CLP",
            ),
        ),
        total=30000,
        currency="CLP",
        event_name="Cumbia Fest",
        event_starts_at=datetime.now(UTC) + timedelta(days=30),
    )


async def _waiting_buyers(client: httpx.AsyncClient, bearer: Any, event_id: uuid.UUID) -> list[asyncio.Task]:
    body = _body(event_id, GENERAL)
    return [
        asyncio.create_task(
            client.post(
                "/api/v1/purchases", json=body, params={"wait": 10}, headers=bearer(sub=f"b-{uuid.uuid4()}")
            )
        )
        for _ in range(BUYERS)
    ]


async def test_a_backlog_of_decisions_is_applied_in_batches_and_wakes_every_waiting_request(
    start_worker, client, bearer, publish, settings
):
    event_id = uuid.uuid4()
    first = await start_worker()  # its queue exists from now on
    await first.stop()
    waiting = await _waiting_buyers(client, bearer, event_id)

    async def all_placed() -> list[dict[str, Any]] | None:
        placed = await _orders_of(settings, event_id)
        return placed if len(placed) == BUYERS else None

    placed = await wait_until(all_placed, message="every buyer's order is placed and waiting")
    held, refused = placed[: BUYERS // 2], placed[BUYERS // 2 :]
    # The decisions queue up while no worker consumes them: most in batch messages of four orders
    # (held and refused mixed), the last two as the per-order messages sent before those.
    decisions = [("held", o) for o in held[:-1]] + [("refused", o) for o in refused[:-1]]
    for start in range(0, len(decisions), 4):
        batch = decisions[start : start + 4]
        await publish(
            HoldsDecidedV1(
                held=tuple(_held(o["id"], event_id, GENERAL) for kind, o in batch if kind == "held"),
                refused=tuple(
                    RefusedOrder(order_id=o["id"], event_id=event_id, reason="sold_out")
                    for kind, o in batch
                    if kind == "refused"
                ),
            )
        )
    superseded = TicketsReservedV1.model_validate(_held(held[-1]["id"], event_id, GENERAL).model_dump())
    await publish(superseded)
    await publish(ReservationRejectedV1(order_id=refused[-1]["id"], event_id=event_id, reason="sold_out"))

    await start_worker()
    answers = await asyncio.gather(*waiting)

    assert [a.status_code for a in answers] == [201] * BUYERS, [a.text for a in answers]
    by_id = {a.json()["id"]: a.json() for a in answers}
    for order in held:
        answer = by_id[str(order["id"])]
        assert answer["status"] == "awaiting_payment" and answer["payment_link"]
        assert answer["items"] == [{"ticket_type_id": str(GENERAL), "quantity": 2, "unit_price": 15000}]
    for order in refused:
        answer = by_id[str(order["id"])]
        assert (answer["status"], answer["reason"]) == ("rejected", "sold_out")
    # Orders moved by one transaction share its time: far fewer transactions than orders.
    decided = await _orders_of(settings, event_id)
    assert len({o["updated_at"] for o in decided}) <= BUYERS // 3, sorted(o["updated_at"] for o in decided)


async def test_a_batch_sent_again_or_contradicted_changes_nothing(
    start_worker, client, bearer, publish, settings
):
    event_id = uuid.uuid4()
    await start_worker()
    waiting = await _waiting_buyers(client, bearer, event_id)

    async def all_placed() -> list[dict[str, Any]] | None:
        placed = await _orders_of(settings, event_id)
        return placed if len(placed) == BUYERS else None

    placed = await wait_until(all_placed, message="every buyer's order is placed and waiting")
    sent: list[Envelope] = []
    for start in range(0, BUYERS, 3):
        held = tuple(_held(order["id"], event_id, GENERAL) for order in placed[start : start + 3])
        sent.append(await publish(HoldsDecidedV1(held=held)))
    await asyncio.gather(*waiting)
    decided = await _orders_of(settings, event_id)
    assert {o["status"] for o in decided} == {"awaiting_payment"}

    # The broker redelivers the batch, event-svc's relay re-sends it under new ids, and a
    # contradicting rejection arrives: all of it in one backlog.
    for envelope in sent:
        await publish(envelope=envelope)
    fresh: list[Envelope] = []
    for order in placed:
        held = _held(order["id"], event_id, GENERAL)
        fresh.append(await publish(HoldsDecidedV1(held=(held,))))
        refusal = RefusedOrder(order_id=order["id"], event_id=event_id, reason="sold_out")
        fresh.append(await publish(HoldsDecidedV1(refused=(refusal,))))
        fresh.append(await publish(ReservationRejectedV1(**refusal.model_dump())))

    async def consumed() -> bool:
        return await _in_inbox(settings, [str(e.id) for e in fresh]) == len(fresh)

    await wait_until(consumed, message="the backlog is consumed")
    assert await _orders_of(settings, event_id) == decided


async def _in_inbox(settings: Any, message_ids: list[str]) -> int:
    inbox = messaging.inbox
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            query = select(func.count()).where(inbox.c.message_id.in_(message_ids))
            return int((await uow.session.execute(query)).scalar_one())
    finally:
        await engine.dispose()

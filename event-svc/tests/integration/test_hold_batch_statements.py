"""A batch of placed orders is decided in one statement and announced with one more, whatever
its size and whatever it meets (holds, rejections, expired holds to release, orders decided
before, copies); an expiry sweep is two statements too (ADR 0018). Counted on the unit's
connection: a return to one statement per order, type or step fails here."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, event, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, JSONPATH

from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWork
from event_svc.adapters import hold_statements as sql
from event_svc.adapters.tables import holds, messaging
from event_svc.service import inventory
from event_svc.service.counters import Line
from event_svc.service.expiry import sweep_expired_holds
from event_svc.service.holding import PlacedOrder, decide_holds
from tests.factories import published_event, type_values
from tests.integration.test_reservations import counters


@asynccontextmanager
async def statements_sent(uow: UnitOfWork, db: Any) -> AsyncIterator[list[str]]:
    """Every statement sent on the unit's connection while the block runs: through SQLAlchemy
    (the outbox) and on the asyncpg connection under it (the hot statements)."""
    engine = uow.session.bind.sync_engine
    through_sqlalchemy: list[str] = []
    on_the_driver: list[str] = []

    def sqlalchemy_sends(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        through_sqlalchemy.append(statement)

    def driver_sends(record: Any) -> None:
        on_the_driver.append(record.query)

    # asyncpg learns a type (uuid[], int[]) once per connection, with queries of its own: a
    # worker's connection did that long ago, so this one does it before counting.
    await db.prepare(sql.DECIDE_HOLDS)
    await db.prepare(sql.EXPIRE_DUE_HOLDS)
    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", sqlalchemy_sends)
    db.add_query_logger(driver_sends)
    try:
        yield sent
        await asyncio.sleep(0)  # asyncpg reports a statement on the loop's next turn
    finally:
        db.remove_query_logger(driver_sends)
        event.remove(engine, "before_cursor_execute", sqlalchemy_sends)
    # SQLAlchemy sends a many-row insert with the driver's executemany, which the driver's
    # logger sees as well: counted once.
    sent.extend(through_sqlalchemy)
    sent.extend(q for q in on_the_driver if q not in through_sqlalchemy)


def order(event_id: uuid.UUID, type_id: uuid.UUID, quantity: int, buyer: str | None = None) -> PlacedOrder:
    return PlacedOrder(
        order_id=uuid.uuid4(),
        event_id=event_id,
        buyer_id=buyer or f"buyer-{uuid.uuid4()}",
        lines=[Line(type_id, quantity)],
    )


async def decided_in(catalog, orders: list[PlacedOrder]) -> tuple[list[str], list[str]]:
    """The statuses of ``orders`` decided in one unit, and the statements the decision sent
    (the unit's transaction is begun first, as the consumer's inbox insert begins it)."""
    async with catalog.uow_factory() as uow:
        db = await uow.driver_connection()
        async with statements_sent(uow, db) as sent:
            statuses = await decide_holds(uow, catalog.outbox, orders)
    return statuses, sent


async def announced(catalog, order_ids: list[uuid.UUID]) -> dict[str, list[dict[str, Any]]]:
    """What the outbox announced about these orders, by order id, in the order written: each
    expiry as its message (``type`` and ``payload``), each decision as its item of a batch of
    decisions (``type`` "held" or "refused", ``payload`` the item)."""
    ids = [str(i) for i in order_ids]
    outbox = messaging.outbox
    about = func.jsonb_path_query_array(outbox.c.envelope, cast("$.payload.*[*].order_id", JSONPATH))
    async with catalog.uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(outbox.c.envelope)
                .where(
                    outbox.c.envelope["payload"]["order_id"].astext.in_(ids)
                    | about.op("?|")(cast(ids, ARRAY(Text)))
                )
                .order_by(outbox.c.created_at)
            )
        ).scalars()
        found: dict[str, list[dict[str, Any]]] = {}
        for envelope in rows:
            payload = envelope["payload"]
            if envelope["type"] != "catalog.holds.decided":
                found.setdefault(payload["order_id"], []).append(envelope)
                continue
            for kind in ("held", "refused"):
                for item in payload[kind]:
                    if item["order_id"] in ids:
                        found.setdefault(item["order_id"], []).append({"type": kind, "payload": item})
    return found


async def test_a_batch_is_decided_in_two_statements_whatever_its_size(catalog):
    event_id, [type_id, small] = await published_event(
        catalog, types=[type_values(capacity=30, max_per_order=4), type_values(name="Palco", capacity=2)]
    )
    [lone_status], lone_sent = await decided_in(catalog, [order(event_id, type_id, 1)])
    assert lone_status == "held"

    # A hold that expired but was not swept yet: the batch must release it to find room.
    stale = order(event_id, small, 2)
    assert (await decided_in(catalog, [stale]))[0] == ["held"]
    async with catalog.uow_factory() as uow:
        await uow.session.execute(
            update(holds).where(holds.c.order_id == stale.order_id).values(hold_expires_at=func.now())
        )

    earlier = order(event_id, type_id, 1)
    await decided_in(catalog, [earlier])
    rush = [order(event_id, type_id, 1 + n % 3) for n in range(30)]
    too_many = order(event_id, type_id, 5)
    wanted_the_box = order(event_id, small, 2)
    batch = [*rush[:10], earlier, too_many, wanted_the_box, rush[0], *rush[10:]]
    statuses, batch_sent = await decided_in(catalog, batch)

    assert len(lone_sent) == len(batch_sent) == 2, batch_sent
    # First come, first served: 28 seats left after the lone order and the earlier one.
    left, expected = 28, []
    for o in rush:
        quantity = o.lines[0].quantity
        expected.append("held" if quantity <= left else "rejected")
        left -= quantity if quantity <= left else 0
    assert statuses[:10] == expected[:10]
    assert statuses[10:14] == ["held", "rejected", "held", expected[0]]
    assert statuses[14:] == expected[10:]
    assert await counters(catalog, type_id) == (0, 30 - left)
    assert await counters(catalog, small) == (0, 2)

    messages = await announced(
        catalog, [o.order_id for o in [*rush, earlier, too_many, wanted_the_box, stale]]
    )
    assert len(messages[str(earlier.order_id)]) == 1  # its own batch's, none from this one
    assert len(messages[str(rush[0].order_id)]) == 1  # one announcement for two copies
    [limit] = messages[str(too_many.order_id)]
    assert limit["type"] == "refused" and limit["payload"]["reason"] == "limit_exceeded"
    assert limit["payload"]["detail"] == "at most 4 of General per order"
    [reserved] = messages[str(wanted_the_box.order_id)]
    assert reserved["type"] == "held"
    assert reserved["payload"]["lines"][0]["ticket_type_name"] == "Palco"
    assert reserved["payload"]["total"] == 2 * 15000
    expired = messages[str(stale.order_id)][-1]
    assert expired["type"] == "catalog.hold.expired"
    assert expired["payload"]["lines"] == [{"ticket_type_id": str(small), "quantity": 2}]


async def test_a_single_order_is_the_same_two_statements(catalog):
    event_id, [type_id] = await published_event(catalog, types=[type_values(max_per_order=2)])
    async with catalog.uow_factory() as uow:
        db = await uow.driver_connection()
        async with statements_sent(uow, db) as sent:
            status = await inventory.reserve(
                uow,
                catalog.outbox,
                order_id=uuid.uuid4(),
                event_id=event_id,
                order_lines=[OrderLine(ticket_type_id=type_id, quantity=2)],
                buyer_id=None,
            )
    assert status == "held"
    assert len(sent) == 2


async def test_an_expiry_sweep_is_two_statements(catalog):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=50)])
    orders = [order(event_id, type_id, 2) for _ in range(12)]
    await decided_in(catalog, orders)
    async with catalog.uow_factory() as uow:
        await uow.session.execute(
            update(holds).where(holds.c.event_id == event_id).values(hold_expires_at=func.now())
        )
    async with catalog.uow_factory() as uow:
        db = await uow.driver_connection()
        async with statements_sent(uow, db) as sent:
            expired = await sweep_expired_holds(uow, catalog.outbox, batch_size=500)
    assert expired >= 12
    assert len(sent) == 2
    assert await counters(catalog, type_id) == (0, 0)


async def test_sales_windows_are_half_open(catalog):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    cases = [
        (None, None, True),
        (now, None, True),
        (None, now, False),
        (now + timedelta(seconds=1), None, False),
    ]
    async with catalog.uow_factory() as uow:
        for start, end, open_ in cases:
            found = await uow.session.execute(
                text("SELECT hold_sales_open(:now, :start, :end)"), {"now": now, "start": start, "end": end}
            )
            assert found.scalar_one() is open_, (start, end)

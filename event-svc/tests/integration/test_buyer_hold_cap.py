"""One buyer cannot take an event off sale by stacking unpaid orders: live holds are capped per
buyer and event, in the transaction that takes the hold."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from sqlalchemy import select, update

from crowdify.contracts.common import OrderLine
from event_svc.adapters.tables import holds
from event_svc.service import inventory
from event_svc.service.holding import decide_holds
from tests.factories import published_event, type_values
from tests.integration.test_hold_batch_statements import order


async def reserve(catalog, event_id: uuid.UUID, type_id: uuid.UUID, quantity: int, buyer: str | None) -> str:
    async with catalog.uow_factory() as uow:
        return await inventory.reserve(
            uow,
            catalog.outbox,
            order_id=uuid.uuid4(),
            event_id=event_id,
            order_lines=[OrderLine(ticket_type_id=type_id, quantity=quantity)],
            buyer_id=buyer,
        )


async def rejection_of(catalog, status: str) -> str | None:
    assert status == "rejected"
    async with catalog.uow_factory() as uow:
        return (
            await uow.session.execute(
                select(holds.c.reason).where(holds.c.status == "rejected").order_by(holds.c.created_at.desc())
            )
        ).scalar()


async def test_four_unpaid_orders_cannot_hold_the_whole_event(catalog):
    # The finding: one account, four unpaid orders of max_per_order each, every seat held.
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=40, max_per_order=10)])
    hoarder, buyer = f"hoarder-{uuid.uuid4()}", f"buyer-{uuid.uuid4()}"

    results = [await reserve(catalog, event_id, type_id, 10, hoarder) for _ in range(4)]

    assert results == ["held", "rejected", "rejected", "rejected"]
    assert await rejection_of(catalog, results[-1]) == "limit_exceeded"
    # A real buyer still finds tickets.
    assert await reserve(catalog, event_id, type_id, 10, buyer) == "held"


async def test_the_cap_is_settable_per_event_and_counts_only_live_holds(catalog):
    event_id, [type_id] = await published_event(catalog, max_held_per_buyer=3)
    buyer = f"buyer-{uuid.uuid4()}"

    assert await reserve(catalog, event_id, type_id, 2, buyer) == "held"
    assert await reserve(catalog, event_id, type_id, 2, buyer) == "rejected"
    assert await reserve(catalog, event_id, type_id, 1, buyer) == "held"
    assert await reserve(catalog, event_id, type_id, 1, buyer) == "rejected"

    # Holds past their expiry (not yet swept) no longer count against the buyer.
    async with catalog.uow_factory() as uow:
        await uow.session.execute(
            update(holds)
            .where(holds.c.buyer_id == buyer, holds.c.status == "held")
            .values(hold_expires_at=holds.c.created_at)
        )
    assert await reserve(catalog, event_id, type_id, 3, buyer) == "held"


async def test_one_order_larger_than_the_cap_is_refused_even_without_a_buyer(catalog):
    # Two ticket types of max_per_order 10 each: the default cap is 10 tickets, not 20.
    event_id, [general, vip] = await published_event(
        catalog, types=[type_values(max_per_order=10), type_values(name="VIP", max_per_order=10)]
    )
    async with catalog.uow_factory() as uow:
        status = await inventory.reserve(
            uow,
            catalog.outbox,
            order_id=uuid.uuid4(),
            event_id=event_id,
            order_lines=[
                OrderLine(ticket_type_id=general, quantity=6),
                OrderLine(ticket_type_id=vip, quantity=6),
            ],
        )
    assert status == "rejected"
    assert await rejection_of(catalog, status) == "limit_exceeded"


async def test_concurrent_orders_of_one_buyer_never_pass_the_cap(catalog):
    event_id, [type_id] = await published_event(
        catalog, types=[type_values(capacity=100, max_per_order=10)], max_held_per_buyer=5
    )
    buyer, other = f"buyer-{uuid.uuid4()}", f"other-{uuid.uuid4()}"

    results = await asyncio.gather(
        *(reserve(catalog, event_id, type_id, 1, buyer) for _ in range(12)),
        *(reserve(catalog, event_id, type_id, 1, other) for _ in range(3)),
    )

    assert results[:12].count("held") == 5
    assert results[12:] == ["held"] * 3
    async with catalog.uow_factory() as uow:
        live = (
            await uow.session.execute(
                select(holds.c.buyer_id).where(holds.c.event_id == event_id, holds.c.status == "held")
            )
        ).scalars()
        by_buyer = list(live)
    assert by_buyer.count(buyer) == 5 and by_buyer.count(other) == 3


async def test_in_a_batch_each_buyer_is_counted_against_their_own_holds(catalog):
    """The batch's first orders have no buyer's key (an order decided before, one placed without a
    buyer): the buyers after them are still each counted against their own live holds."""
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=100, max_per_order=4)])
    full, fresh = f"full-{uuid.uuid4()}", f"fresh-{uuid.uuid4()}"
    decided_before = order(event_id, type_id, 1)
    earlier = [order(event_id, type_id, 4, full), decided_before]
    async with catalog.uow_factory() as uow:
        assert await decide_holds(uow, catalog.outbox, earlier) == ["held", "held"]
    anonymous = dataclasses.replace(order(event_id, type_id, 1), buyer_id=None)
    batch = [decided_before, anonymous, order(event_id, type_id, 1, full), order(event_id, type_id, 4, fresh)]

    async with catalog.uow_factory() as uow:
        statuses = await decide_holds(uow, catalog.outbox, batch)

    # The buyer already holding four may not hold a fifth; the new buyer may hold four.
    assert statuses == ["held", "held", "rejected", "held"]
    assert await rejection_of(catalog, statuses[2]) == "limit_exceeded"

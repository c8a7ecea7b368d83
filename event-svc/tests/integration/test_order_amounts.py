"""An order is one amount in one currency: orders that would mix currencies (an event created
before one currency per event was enforced) or add up past what a payment column holds are
rejected, and nothing is held for them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import update

from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderPlacedV1
from crowdify.inputs import INT32_MAX
from crowdify.testing import wait_until
from event_svc.adapters.tables import ticket_types
from tests.factories import published_event, type_values
from tests.integration.test_reservations import counters


def order_of(event_id: uuid.UUID, *lines: tuple[uuid.UUID, int]) -> OrderPlacedV1:
    return OrderPlacedV1(
        order_id=uuid.uuid4(),
        event_id=event_id,
        user_id="buyer-1",
        lines=tuple(OrderLine(ticket_type_id=type_id, quantity=n) for type_id, n in lines),
        placed_at=datetime.now(UTC),
    )


async def test_orders_mixing_currencies_or_overflowing_the_total_are_rejected(catalog, worker, bus):
    mixed, [clp, usd] = await published_event(catalog, types=[type_values(), type_values(name="VIP")])
    async with catalog.uow_factory() as uow:  # as an event from before the rule could be
        await uow.session.execute(update(ticket_types).where(ticket_types.c.id == usd).values(currency="USD"))
    pricey, [dear] = await published_event(catalog, types=[type_values(price=INT32_MAX)])
    two_currencies = order_of(mixed, (clp, 1), (usd, 1))
    overflowing = order_of(pricey, (dear, 2))
    await bus.send(two_currencies)
    await bus.send(overflowing)

    rejected = await wait_until(
        lambda: len(bus.refused()) == 2 and bus.refused(), message="both orders rejected"
    )
    reasons = {d["order_id"]: d["reason"] for d in rejected}
    assert reasons == {
        str(two_currencies.order_id): "event_unavailable",
        str(overflowing.order_id): "limit_exceeded",
    }
    for type_id in (clp, usd, dear):
        assert await counters(catalog, type_id) == (0, 0)
    # One ticket at the highest price still fits.
    await bus.send(order_of(pricey, (dear, 1)))
    reserved = await wait_until(bus.held, message="held")
    assert reserved[0]["total"] == INT32_MAX

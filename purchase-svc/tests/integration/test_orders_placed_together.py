"""Orders placed together (group commit): the orders racing into one API process share a
transaction, and each is still placed, refused or found exactly as alone."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import func, select

from crowdify.auth import Principal
from crowdify.errors import ProblemError
from crowdify.testing import wait_until
from purchase_svc.adapters.order_statements import READ_LANE
from purchase_svc.adapters.tables import orders
from purchase_svc.api.schemas import OrderIn
from purchase_svc.service.context import Purchases
from purchase_svc.service.placing import place_order
from purchase_svc.service.placing_together import LANE
from tests.integration.test_order_placement import _count, _known_snapshot, announcements
from tests.integration.test_order_saga import order_body


def _lane_figures(lane: str = LANE) -> tuple[float, float]:
    """Batches run on ``lane`` and the items they held, so far in this process."""
    labels = {"lane": lane}
    return (
        REGISTRY.get_sample_value("crowdify_group_commit_batch_items_count", labels) or 0.0,
        REGISTRY.get_sample_value("crowdify_group_commit_batch_items_sum", labels) or 0.0,
    )


def _failed_batches() -> float:
    return REGISTRY.get_sample_value("crowdify_group_commit_batches_failed_total", {"lane": LANE}) or 0.0


def _buyer() -> Principal:
    return Principal(
        user_id=f"buyer-{uuid.uuid4()}", role="user", email="ana@example.com", token_kind="backend"
    )


async def _warm(purchases: Purchases, sale: dict[str, Any]) -> None:
    """One order alone first, so the process holds the event's catalogue (the lane needs it)."""
    command = OrderIn.model_validate(order_body(sale, quantity=1)).to_command()
    assert await place_order(purchases, command, _buyer(), uuid.uuid4())


async def test_a_rush_of_buyers_is_placed_in_shared_transactions(client, event_svc, settings):
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    await _warm(purchases, sale)
    command = OrderIn.model_validate(order_body(sale)).to_command()
    order_ids = [uuid.uuid4() for _ in range(48)]
    batches_before, items_before = _lane_figures()
    failed_before = _failed_batches()

    placed = await asyncio.gather(*(place_order(purchases, command, _buyer(), oid) for oid in order_ids))

    assert placed == [True] * 48
    batches, items = _lane_figures()
    assert items - items_before == 48
    assert batches - batches_before < 48  # some orders shared a transaction
    assert _failed_batches() == failed_before
    assert await _count(settings, select(func.count()).where(orders.c.id.in_(order_ids))) == 48
    # Each order announced once, in one message per transaction (fewer messages than orders),
    # every message sent with its batch, none left for the relay.
    assert await _count(settings, announcements(order_ids)) == 48
    assert await _count(settings, announcements(order_ids, messages=True)) == batches - batches_before
    assert await _count(settings, announcements(order_ids, unsent=True)) == 0


async def test_twins_of_one_order_in_a_batch_place_and_announce_it_once(client, event_svc, settings):
    """One buyer's retries with one Idempotency-Key (one order id) racing into one batch."""
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    await _warm(purchases, sale)
    command = OrderIn.model_validate(order_body(sale)).to_command()
    buyer, order_id = _buyer(), uuid.uuid4()
    batches_before, items_before = _lane_figures()

    placed = await asyncio.gather(*(place_order(purchases, command, buyer, order_id) for _ in range(8)))

    assert placed.count(True) == 1, placed
    batches, items = _lane_figures()
    assert items - items_before == 8 and batches - batches_before < 8  # twins shared a batch
    assert await _count(settings, select(func.count()).where(orders.c.id == order_id)) == 1
    assert await _count(settings, announcements([order_id])) == 1  # the placed twin only


async def test_one_buyer_over_the_rate_in_one_batch_gets_429_for_the_rest(client, event_svc, settings):
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    await _warm(purchases, sale)
    command = OrderIn.model_validate(order_body(sale, quantity=1)).to_command()
    buyer = _buyer()
    per_minute = settings.orders_per_minute

    outcomes = await asyncio.gather(
        *(place_order(purchases, command, buyer, uuid.uuid4()) for _ in range(per_minute + 4)),
        return_exceptions=True,
    )

    assert outcomes.count(True) == per_minute
    refused = [o for o in outcomes if o is not True]
    assert len(refused) == 4
    assert all(isinstance(o, ProblemError) and o.status == 429 for o in refused), refused
    placed = select(func.count()).where(orders.c.user_id == buyer.user_id)
    assert await _count(settings, placed) == per_minute


async def test_an_invalid_order_in_a_batch_is_refused_alone(platform, client, event_svc, settings):
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    event_id = uuid.UUID(sale["event_id"])
    await wait_until(
        lambda: _known_snapshot(settings, event_id), message="purchase-svc knows the published event"
    )
    await _warm(purchases, sale)
    good = OrderIn.model_validate(order_body(sale)).to_command()
    bad = OrderIn.model_validate(
        {**order_body(sale), "items": [{"ticket_type_id": str(uuid.uuid4()), "quantity": 1}]}
    ).to_command()
    commands = [good] * 10 + [bad] + [good] * 10
    order_ids = [uuid.uuid4() for _ in commands]

    outcomes = await asyncio.gather(
        *(place_order(purchases, c, _buyer(), oid) for c, oid in zip(commands, order_ids, strict=True)),
        return_exceptions=True,
    )

    assert outcomes[:10] == [True] * 10 and outcomes[11:] == [True] * 10
    assert isinstance(outcomes[10], ProblemError) and outcomes[10].status == 422, outcomes[10]
    assert await _count(settings, select(func.count()).where(orders.c.id == order_ids[10])) == 0
    assert await _count(settings, select(func.count()).where(orders.c.id.in_(order_ids))) == 20


async def test_orders_woken_together_are_read_together(client, event_svc):
    """A batch of decisions wakes its waiting requests at once; their reads share statements."""
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    await _warm(purchases, sale)
    command = OrderIn.model_validate(order_body(sale)).to_command()
    order_ids = [uuid.uuid4() for _ in range(40)]
    await asyncio.gather(*(place_order(purchases, command, _buyer(), oid) for oid in order_ids))
    unknown = uuid.uuid4()
    batches_before, items_before = _lane_figures(READ_LANE)

    rows = await asyncio.gather(*(purchases.order_statements.read(oid) for oid in [*order_ids, unknown]))

    assert [row["id"] for row in rows[:-1] if row is not None] == order_ids
    assert all(len(row["lines"]) == 1 for row in rows[:-1] if row is not None)
    assert rows[-1] is None
    batches, items = _lane_figures(READ_LANE)
    assert items - items_before == 41
    assert batches - batches_before < 41


async def test_a_failed_batch_has_its_orders_placed_alone(client, event_svc, settings):
    """An order the database refuses (a name past its column) fails its whole batch; the others
    are then placed one by one, and only the bad one fails."""
    sale = await event_svc.on_sale()
    purchases: Purchases = client._transport.app.state.purchases  # type: ignore[attr-defined]
    await _warm(purchases, sale)
    good = OrderIn.model_validate(order_body(sale)).to_command()
    bad = dataclasses.replace(good, buyer_name="N" * 300)  # past the API's checks, as a bug would be
    commands = [good] * 10 + [bad] + [good] * 10
    order_ids = [uuid.uuid4() for _ in commands]
    failed_before = _failed_batches()

    outcomes = await asyncio.gather(
        *(place_order(purchases, c, _buyer(), oid) for c, oid in zip(commands, order_ids, strict=True)),
        return_exceptions=True,
    )

    assert _failed_batches() > failed_before
    assert outcomes[:10] == [True] * 10 and outcomes[11:] == [True] * 10
    assert isinstance(outcomes[10], Exception) and not isinstance(outcomes[10], ProblemError)
    assert await _count(settings, select(func.count()).where(orders.c.id.in_(order_ids))) == 20

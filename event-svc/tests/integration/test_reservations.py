"""Reservations decided by the worker from real messages on the real broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import (
    OrderCancelledV1,
    OrderExpiredV1,
    OrderPaidV1,
    OrderPlacedV1,
    OrderRefundedV1,
)
from crowdify.messaging.context import handling_batch_var, handling_envelope_var
from crowdify.testing import wait_until
from event_svc.adapters.tables import holds, ticket_types
from tests.factories import published_event, type_values


def placed(
    event_id: uuid.UUID, type_id: uuid.UUID, quantity: int = 1, *, buyer: str | None = None
) -> OrderPlacedV1:
    """An order; each from a buyer of its own unless ``buyer`` says whose."""
    return OrderPlacedV1(
        order_id=uuid.uuid4(),
        event_id=event_id,
        user_id=buyer or f"buyer-{uuid.uuid4()}",
        lines=(OrderLine(ticket_type_id=type_id, quantity=quantity),),
        placed_at=datetime.now(UTC),
    )


async def counters(catalog, type_id: uuid.UUID) -> tuple[int, int]:
    async with catalog.uow_factory() as uow:
        row = (
            (await uow.session.execute(select(ticket_types).where(ticket_types.c.id == type_id)))
            .mappings()
            .one()
        )
    return row["sold"], row["held"]


async def hold_status(catalog, order_id: uuid.UUID) -> str | None:
    async with catalog.uow_factory() as uow:
        return (
            await uow.session.execute(select(holds.c.status).where(holds.c.order_id == order_id))
        ).scalar()


async def test_an_order_is_held_with_prices_and_expiry(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog)
    order = placed(event_id, type_id, quantity=3)
    sent = await bus.send(order)

    reserved = await wait_until(bus.held, message="held")
    payload = reserved[0]
    assert payload["order_id"] == str(order.order_id)
    assert payload["total"] == 45000 and payload["currency"] == "CLP"
    assert payload["lines"][0]["unit_price"] == 15000
    expires = datetime.fromisoformat(payload["hold_expires_at"])
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    # Announced in a batch of its own, caused by its placement.
    [announced] = [
        e for e in bus.received if e.type == "catalog.holds.decided" and e.payload["held"] == [payload]
    ]
    assert announced.causation_id == str(sent.id) and announced.payload["refused"] == []
    assert await counters(catalog, type_id) == (0, 3)


async def test_300_concurrent_orders_for_10_tickets_hold_exactly_10(catalog, make_worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=10)])
    # Three workers on the same queue, each with many messages in flight: real contention.
    workers = [make_worker() for _ in range(3)]
    for w in workers:
        await w.start()
    try:
        orders = [placed(event_id, type_id) for _ in range(300)]
        for order in orders:
            await bus.send(order)
        await wait_until(
            lambda: len(bus.held()) + len(bus.refused()) == 300, within=60, message="300 decisions"
        )
    finally:
        for w in workers:
            await w.stop()

    assert len(bus.held()) == 10
    rejected = bus.refused()
    assert len(rejected) == 290
    assert {d["reason"] for d in rejected} == {"sold_out"}
    assert await counters(catalog, type_id) == (0, 10)
    async with catalog.uow_factory() as uow:
        held = (
            await uow.session.execute(
                select(func.count()).where(holds.c.event_id == event_id, holds.c.status == "held")
            )
        ).scalar_one()
    assert held == 10


async def test_a_redelivered_order_holds_nothing_twice(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog)
    envelope = await bus.send(placed(event_id, type_id, quantity=2))
    await wait_until(bus.held, message="first decision")
    # The broker redelivers the same message (same id), then purchase-svc's relay re-sends the
    # order under a new message id after a lost confirm: neither may hold again.
    await bus.resend(envelope)
    await bus.send(envelope.parse(OrderPlacedV1))
    probe = placed(event_id, type_id, quantity=1)
    await bus.send(probe)  # a later order tells us the earlier messages were processed
    await wait_until(lambda: len(bus.held()) == 2, message="probe held")
    assert await counters(catalog, type_id) == (0, 3)


async def test_a_worker_killed_between_commit_and_ack_does_no_harm(catalog, make_worker, bus):
    event_id, [type_id] = await published_event(catalog)
    doomed = make_worker()
    killed = []

    # Abort the consumer's connection right after the transaction that handled the order
    # commits, before the ack: the broker will deliver the message again to the next worker.
    # Only the consumer's own units count (the relay and the sweeper share the factory).
    def kill_after_commit(uow) -> None:
        handling = handling_batch_var.get() or [handling_envelope_var.get()]
        if not any(e is not None and e.type == "purchase.order.placed" for e in handling):
            return

        async def abort() -> None:
            if not killed:
                killed.append(True)
                await doomed.consumer.abort()

        uow.after_commit(abort)

    doomed.uow_factory.on_new_unit(kill_after_commit)
    await doomed.start()
    await bus.send(placed(event_id, type_id, quantity=4))
    await wait_until(lambda: killed, message="first worker killed")
    await doomed.stop()

    survivor = make_worker()
    await survivor.start()
    try:
        probe = placed(event_id, type_id, quantity=1)
        await bus.send(probe)
        await wait_until(lambda: hold_status(catalog, probe.order_id), message="probe decided")
    finally:
        await survivor.stop()
    assert await counters(catalog, type_id) == (0, 5)


async def test_rejections_name_their_reason(catalog, worker, bus):
    closed_at = datetime.now(UTC) - timedelta(hours=1)
    on_sale, [limited] = await published_event(catalog, types=[type_values(max_per_order=2)])
    closed, [closed_type] = await published_event(catalog, sales_end=closed_at)
    cases = {
        "limit_exceeded": placed(on_sale, limited, quantity=3),
        "sales_closed": placed(closed, closed_type),
        "event_unavailable": placed(uuid.uuid4(), limited),
        "sold_out": placed(on_sale, limited, quantity=2),
    }
    # Fill the type first so the sold_out case has no room.
    filler = await published_event(catalog, types=[type_values(capacity=1)])
    cases["sold_out"] = placed(filler[0], filler[1][0], quantity=2)
    for order in cases.values():
        await bus.send(order)
    await wait_until(lambda: len(bus.refused()) == 4, message="4 rejections")
    reasons = {d["order_id"]: d["reason"] for d in bus.refused()}
    assert reasons == {str(order.order_id): reason for reason, order in cases.items()}


async def test_venue_wide_capacity_caps_all_types_together(catalog, worker, bus):
    event_id, [general, vip] = await published_event(
        catalog, capacity=5, types=[type_values(capacity=5), type_values(name="VIP", capacity=5)]
    )
    await bus.send(placed(event_id, general, quantity=4))
    await wait_until(bus.held, message="first hold")
    late = placed(event_id, vip, quantity=2)
    await bus.send(late)
    rejected = await wait_until(bus.refused, message="cap reached")
    assert rejected[0]["reason"] == "sold_out"
    assert await counters(catalog, vip) == (0, 0)


async def test_expired_holds_go_back_on_sale_and_are_announced(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog, hold_minutes=1)
    order = placed(event_id, type_id, quantity=2)
    await bus.send(order)
    await wait_until(bus.held, message="held")
    # Move the hold's expiry into the past, as time would.
    async with catalog.uow_factory() as uow:
        await uow.session.execute(
            holds.update()
            .where(holds.c.order_id == order.order_id)
            .values(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = await wait_until(lambda: bus.of_type("catalog.hold.expired"), message="HoldExpired")
    assert expired[0].payload["order_id"] == str(order.order_id)
    assert await counters(catalog, type_id) == (0, 0)
    assert await hold_status(catalog, order.order_id) == "expired"


async def test_payment_turns_the_hold_into_sold_and_refunds_give_back(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog)
    order = placed(event_id, type_id, quantity=3)
    await bus.send(order)
    await wait_until(bus.held, message="held")
    await bus.send(
        OrderPaidV1(order_id=order.order_id, event_id=event_id, lines=order.lines, paid_at=datetime.now(UTC))
    )
    await wait_until(lambda: bus.of_type("catalog.sale.confirmed"), message="sold")
    assert await counters(catalog, type_id) == (3, 0)

    refund = OrderRefundedV1(
        order_id=order.order_id,
        event_id=event_id,
        refund_id="refund-1",
        lines=(OrderLine(ticket_type_id=type_id, quantity=1),),
        full=False,
    )
    await bus.send(refund)
    await bus.send(refund)  # re-sent under a new message id: applied once
    await wait_until(lambda: _equals(counters(catalog, type_id), (2, 0)), message="one ticket back")


async def _equals(awaitable, expected) -> bool:
    return await awaitable == expected


async def test_a_late_payment_takes_the_tickets_again_or_is_refused(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=2)])
    late = placed(event_id, type_id, quantity=2)
    await bus.send(late)
    await wait_until(bus.held, message="held")
    await bus.send(OrderExpiredV1(order_id=late.order_id, event_id=event_id, lines=late.lines))
    await wait_until(lambda: _equals(counters(catalog, type_id), (0, 0)), message="released")

    await bus.send(
        OrderPaidV1(order_id=late.order_id, event_id=event_id, lines=late.lines, paid_at=datetime.now(UTC))
    )
    confirmed = await wait_until(lambda: bus.of_type("catalog.sale.confirmed"), message="taken again")
    assert confirmed[0].payload["from_expired_hold"] is True
    assert await counters(catalog, type_id) == (2, 0)

    other = placed(event_id, type_id, quantity=1)
    await bus.send(other)
    await wait_until(bus.refused, message="sold out now")
    await bus.send(OrderCancelledV1(order_id=other.order_id, event_id=event_id, lines=other.lines))
    await bus.send(
        OrderPaidV1(order_id=other.order_id, event_id=event_id, lines=other.lines, paid_at=datetime.now(UTC))
    )
    refused = await wait_until(lambda: bus.of_type("catalog.sale.refused"), message="refused")
    assert refused[0].payload["order_id"] == str(other.order_id)
    assert await counters(catalog, type_id) == (2, 0)


async def test_a_late_expiry_never_frees_seats_that_were_sold(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=2)])
    order = placed(event_id, type_id, quantity=2)
    await bus.send(order)
    await wait_until(bus.held, message="held")
    await bus.send(
        OrderPaidV1(order_id=order.order_id, event_id=event_id, lines=order.lines, paid_at=datetime.now(UTC))
    )
    await wait_until(lambda: bus.of_type("catalog.sale.confirmed"), message="sold")
    # An expiry and a cancellation delivered late (after the payment) change nothing.
    await bus.send(OrderExpiredV1(order_id=order.order_id, event_id=event_id, lines=order.lines))
    await bus.send(OrderCancelledV1(order_id=order.order_id, event_id=event_id, lines=order.lines))
    probe = placed(event_id, type_id, quantity=1)
    await bus.send(probe)
    rejected = await wait_until(bus.refused, message="no room left")
    assert rejected[0]["reason"] == "sold_out"
    assert await counters(catalog, type_id) == (2, 0)


async def test_a_payment_for_a_rejected_order_is_refused(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=5, max_per_order=2)])
    greedy = placed(event_id, type_id, quantity=3)
    await bus.send(greedy)
    await wait_until(bus.refused, message="rejected")
    await bus.send(
        OrderPaidV1(
            order_id=greedy.order_id, event_id=event_id, lines=greedy.lines, paid_at=datetime.now(UTC)
        )
    )
    refused = await wait_until(lambda: bus.of_type("catalog.sale.refused"), message="refused")
    assert refused[0].payload["reason"] == "limit_exceeded"
    assert await counters(catalog, type_id) == (0, 0)


async def test_a_cancellation_that_overtakes_its_order_holds_nothing(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog)
    order = placed(event_id, type_id, quantity=2)
    await bus.send(OrderCancelledV1(order_id=order.order_id, event_id=event_id, lines=order.lines))
    await wait_until(lambda: hold_status(catalog, order.order_id), message="cancellation recorded")
    await bus.send(order)
    probe = placed(event_id, type_id, quantity=1)
    await bus.send(probe)
    await wait_until(bus.held, message="probe held")
    assert await counters(catalog, type_id) == (0, 1)
    assert await hold_status(catalog, order.order_id) == "released"


async def test_a_refund_that_overtakes_its_payment_is_applied_after_it(catalog, worker, bus):
    event_id, [type_id] = await published_event(catalog)
    order = placed(event_id, type_id, quantity=2)
    await bus.send(order)
    await wait_until(bus.held, message="held")
    await bus.send(
        OrderRefundedV1(
            order_id=order.order_id,
            event_id=event_id,
            refund_id="chargeback-1",
            lines=order.lines,
            full=True,
        )
    )
    await bus.send(
        OrderPaidV1(order_id=order.order_id, event_id=event_id, lines=order.lines, paid_at=datetime.now(UTC))
    )
    # The refund is retried (first retry tier) until the payment has been applied.
    await wait_until(lambda: _equals(counters(catalog, type_id), (0, 0)), within=15, message="refund applied")
    assert await hold_status(catalog, order.order_id) == "released"

"""Placed orders decided in batches (group commit, ADR 0018), on the real broker and database:
first come first served within a type, no oversell, redeliveries without effect, a poison
message that does not hold the others back, expiry sweeps in one transaction, and expired orders
released in batches."""

from __future__ import annotations

import random
import uuid

from sqlalchemy import func, select, update

from crowdify.contracts.purchase import OrderExpiredV1, OrderPlacedV1, OrdersPlacedV1
from crowdify.testing import wait_until
from event_svc.adapters.tables import holds
from event_svc.service.expiry import sweep_expired_holds
from tests.factories import published_event, type_values
from tests.integration.test_reservations import _equals, counters, placed


def decisions(bus) -> dict[str, str]:
    """Each order's decision: held or the refusal's reason."""
    return {d["order_id"]: "held" for d in bus.held()} | {d["order_id"]: d["reason"] for d in bus.refused()}


def first_come_first_served(orders, capacity: int) -> dict[str, str]:
    """What deciding the orders one at a time, in the order sent, would hold."""
    left, expected = capacity, {}
    for order in orders:
        quantity = order.lines[0].quantity
        if quantity <= left:
            left -= quantity
            expected[str(order.order_id)] = "held"
        else:
            expected[str(order.order_id)] = "sold_out"
    return expected


async def declare_queues(make_worker) -> None:
    """Start and stop a worker, so its queue exists and a backlog can wait in it."""
    worker = make_worker()
    await worker.start()
    await worker.stop()


async def hold_with_no_worker_left(make_worker, bus, orders) -> None:
    """Have a worker decide ``orders`` (each held: the tests give them room), then stop it."""
    await declare_queues(make_worker)
    for order in orders:
        await bus.send(order)
    worker = make_worker()
    await worker.start()
    try:
        await wait_until(lambda: len(decisions(bus)) == len(orders), message="every order held")
    finally:
        await worker.stop()


async def transactions_that_decided(catalog, event_id: uuid.UUID) -> int:
    """Distinct commit times of the event's holds (``now()`` is the transaction's start)."""
    async with catalog.uow_factory() as uow:
        return (
            await uow.session.execute(
                select(func.count(func.distinct(holds.c.created_at))).where(holds.c.event_id == event_id)
            )
        ).scalar_one()


async def test_a_backlog_is_decided_in_batches_in_arrival_order(catalog, make_worker, bus):
    capacity = 150
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=capacity)])
    rng = random.Random(16)
    orders = [placed(event_id, type_id, quantity=rng.randint(1, 4)) for _ in range(300)]
    await declare_queues(make_worker)
    # Queued before the worker starts: a backlog, in this order. As purchase-api announces them:
    # the orders each of its batches placed together in one message (one to seven here), and
    # now and then one on its own as purchase-api sent them before batches (a rolling deploy).
    sent = 0
    while sent < len(orders):
        size = rng.randint(1, 7)
        if size == 7:
            await bus.send(orders[sent])
            sent += 1
            continue
        await bus.send(OrdersPlacedV1(orders=tuple(orders[sent : sent + size])))
        sent += size
    worker = make_worker()
    await worker.start()
    try:
        await wait_until(lambda: len(decisions(bus)) == len(orders), within=60, message="every order decided")
    finally:
        await worker.stop()

    assert decisions(bus) == first_come_first_served(orders, capacity)
    held = sum(o.lines[0].quantity for o in orders if decisions(bus)[str(o.order_id)] == "held")
    assert await counters(catalog, type_id) == (0, held)
    assert held <= capacity
    # Group commit: far fewer transactions than orders, each announcing its decisions in one
    # message (as many messages as transactions, where a message per order was sent before).
    transactions = await transactions_that_decided(catalog, event_id)
    assert transactions < len(orders) // 4
    ours = {str(o.order_id) for o in orders}
    batches = [
        e
        for e in bus.received
        if e.type == "catalog.holds.decided"
        and {d["order_id"] for d in e.payload["held"] + e.payload["refused"]} & ours
    ]
    assert len(batches) == transactions


async def test_many_workers_never_oversell_and_each_order_is_decided_once(catalog, make_worker, bus):
    capacity = 40
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=capacity)])
    workers = [make_worker() for _ in range(3)]
    for w in workers:
        await w.start()
    try:
        orders = [placed(event_id, type_id, quantity=1 + n % 3) for n in range(400)]
        for order in orders:
            await bus.send(order)
        await wait_until(lambda: len(decisions(bus)) == len(orders), within=90, message="every order decided")
    finally:
        for w in workers:
            await w.stop()
    announced = bus.held() + bus.refused()
    assert sorted(d["order_id"] for d in announced) == sorted(str(o.order_id) for o in orders)
    held = sum(line["quantity"] for d in bus.held() for line in d["lines"])
    assert held == capacity  # orders of 1 ticket keep coming until the last seat is taken
    assert await counters(catalog, type_id) == (0, capacity)


async def test_a_redelivered_or_partly_new_batch_changes_nothing_twice(catalog, make_worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=100)])
    await declare_queues(make_worker)
    first = [await bus.send(placed(event_id, type_id, quantity=2)) for _ in range(20)]
    worker = make_worker()
    await worker.start()
    await wait_until(lambda: len(decisions(bus)) == 20, message="the first batch decided")
    await worker.stop()
    assert await counters(catalog, type_id) == (0, 40)

    # The whole batch again under the same message ids (a redelivery after a crash before the
    # acks), mixed with new orders and with copies under new ids (purchase-svc's relay re-sending
    # after a lost confirm): only the new orders take seats, each announced once.
    for envelope in first:
        await bus.resend(envelope)
    fresh = [placed(event_id, type_id, quantity=1) for _ in range(10)]
    for order in fresh:
        await bus.send(order)
    for envelope in first[:5]:
        await bus.send(envelope.parse(OrderPlacedV1))
    worker = make_worker()
    await worker.start()
    try:
        await wait_until(lambda: len(decisions(bus)) == 30, message="the new orders decided")
        probe = placed(event_id, type_id, quantity=1)
        await bus.send(probe)  # sent last: once it is decided, everything before it was handled
        await wait_until(lambda: str(probe.order_id) in decisions(bus), message="probe decided")
    finally:
        await worker.stop()
    assert await counters(catalog, type_id) == (0, 40 + 10 + 1)
    announced = [d["order_id"] for d in bus.held()]
    assert len(announced) == len(set(announced)) == 31


async def test_a_poison_message_does_not_hold_back_its_batch(catalog, make_worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=100)])
    await declare_queues(make_worker)
    good = [placed(event_id, type_id, quantity=1) for _ in range(30)]
    # A buyer id longer than the hold's column: the batch that holds it cannot commit.
    poison = placed(event_id, type_id, quantity=1, buyer="x" * 200)
    for order in [*good[:15], poison, *good[15:]]:
        await bus.send(order)
    worker = make_worker()
    await worker.start()
    try:
        await wait_until(lambda: len(decisions(bus)) == len(good), message="every good order decided")
    finally:
        await worker.stop()
    assert set(decisions(bus)) == {str(o.order_id) for o in good}
    assert set(decisions(bus).values()) == {"held"}
    assert await counters(catalog, type_id) == (0, len(good))


async def test_an_expiry_sweep_expires_a_batch_in_one_transaction(catalog, make_worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=100)])
    orders = [placed(event_id, type_id, quantity=2) for _ in range(25)]
    await hold_with_no_worker_left(make_worker, bus, orders)  # the sweep below is the only one
    async with catalog.uow_factory() as uow:
        await uow.session.execute(
            update(holds).where(holds.c.event_id == event_id).values(hold_expires_at=func.now())
        )
    async with catalog.uow_factory() as uow:
        expired = await sweep_expired_holds(uow, catalog.outbox, batch_size=200)
    assert expired >= 25
    assert await counters(catalog, type_id) == (0, 0)
    async with catalog.uow_factory() as uow:
        statuses = (
            await uow.session.execute(select(holds.c.status).where(holds.c.event_id == event_id))
        ).scalars()
        assert set(statuses) == {"expired"}
    await wait_until(lambda: len(bus.of_type("catalog.hold.expired")) == 25, message="25 expiries announced")
    lines = {e.payload["order_id"]: e.payload["lines"] for e in bus.of_type("catalog.hold.expired")}
    assert lines[str(orders[0].order_id)] == [{"ticket_type_id": str(type_id), "quantity": 2}]


async def test_a_backlog_of_expired_orders_releases_each_live_hold_once_in_batches(catalog, make_worker, bus):
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=100)])
    orders = [placed(event_id, type_id, quantity=2) for _ in range(20)]
    await hold_with_no_worker_left(make_worker, bus, orders)
    assert await counters(catalog, type_id) == (0, 40)

    # purchase-svc expires 12 of them while no worker consumes (one expiry sent twice, under a
    # new message id): a backlog, as after an on-sale's holds end together.
    expired, kept = orders[:12], orders[12:]
    for order in expired:
        await bus.send(OrderExpiredV1(order_id=order.order_id, event_id=event_id, lines=order.lines))
    await bus.send(OrderExpiredV1(order_id=expired[0].order_id, event_id=event_id, lines=expired[0].lines))
    worker = make_worker()
    await worker.start()
    try:
        await wait_until(lambda: _equals(counters(catalog, type_id), (0, 16)), message="12 holds released")
        probe = placed(event_id, type_id, quantity=1)
        await bus.send(probe)  # sent last: once it is decided, everything before it was handled
        await wait_until(lambda: str(probe.order_id) in decisions(bus), message="probe decided")
    finally:
        await worker.stop()
    assert await counters(catalog, type_id) == (0, 16 + 1)  # released once, the copy changed nothing
    async with catalog.uow_factory() as uow:
        columns = (holds.c.order_id, holds.c.status, holds.c.updated_at)
        query = select(*columns).where(holds.c.event_id == event_id)
        rows = (await uow.session.execute(query)).all()
    status = {row.order_id: row.status for row in rows}
    assert {status[o.order_id] for o in expired} == {"released"}
    assert {status[o.order_id] for o in kept} == {"held"}
    # Group commit: far fewer transactions than expiries.
    released_at = {row.updated_at for row in rows if row.status == "released"}
    assert len(released_at) <= len(expired) // 3, sorted(released_at)

"""The inventory step alone: orders in, event-svc's decisions out.

An event is created through the gateway; then ``orders`` ``purchase.orders.placed.v1`` envelopes
of one order each (1-4 tickets of its one hot ticket type) go straight into event-svc's consumer
queue (the default exchange, so no other service sees orders that do not exist). A private queue
bound to ``catalog.holds.decided.v1`` collects the decisions (sent by event-svc's outbox right
after each commit, a batch's in one message). The rate is the worker's whole step: inbox, the
conditional updates of the hot rows, the hold rows, the outbox row, commit, publish.

How the orders arrive (``arrival``):

- ``backlog``: published inside one AMQP transaction before the clock starts; the broker makes
  them visible together at its commit, where the clock starts. The worker has a backlog from the
  first instant, as at the opening of an on-sale, and the load generator spends nothing while the
  step is timed. This is the figure the target reads.
- ``streamed``: published with confirms (256 unconfirmed at most) while the clock runs, as the step
  was measured first. On two cores the publisher is not faster than the worker: it sent
  2,100-4,900 orders/s using about a fifth of the machine, so the worker was fed at the
  publisher's pace and shared the cores with it. Kept beside the backlog, in the same run, for
  comparison.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from crowdify.contracts.catalog import HoldsDecidedV1
from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderCancelledV1, OrdersPlacedV1, PlacedOrder
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.wire import envelope_message
from crowdify.testing import wait_until
from crowdify_bench.platform import Platform
from crowdify_bench.procs import CpuMeter
from crowdify_bench.stats import rate

Arrival = Literal["backlog", "streamed"]


async def inventory_step(
    platform: Platform,
    *,
    tickets: int = 2000,
    orders: int = 3000,
    window: int = 256,
    max_seconds: float = 180,
    seed: int = 11,
    arrival: Arrival = "backlog",
) -> dict[str, Any]:
    settings = platform.settings
    async with platform.http(4) as http:
        event_id, type_id = await platform.create_event(http, "inventory", tickets, max_per_order=4)
    rng = random.Random(seed)
    now = datetime.now(UTC)
    envelopes = [
        Envelope.wrap(
            # One order per message, as if each buyer's came alone (the worker takes those
            # waiting together, up to its batch bound).
            OrdersPlacedV1(
                orders=(
                    PlacedOrder(
                        order_id=uuid.uuid4(),
                        event_id=uuid.UUID(event_id),
                        user_id=f"bench-{platform.run_id}-{n}",
                        lines=(OrderLine(ticket_type_id=uuid.UUID(type_id), quantity=rng.randint(1, 4)),),
                        placed_at=now,
                    ),
                )
            ),
            correlation_id=f"bench-{platform.run_id}",
        )
        for n in range(orders)
    ]
    decisions: dict[str, tuple[float, str, int]] = {}

    async def on_decision(message: AbstractIncomingMessage) -> None:
        envelope = Envelope.from_json(message.body)
        at = time.perf_counter()
        for kind in ("held", "refused"):
            for decision in envelope.payload[kind]:
                if decision["event_id"] != event_id:
                    continue  # another run's or another engineer's order
                held = sum(line["quantity"] for line in decision.get("lines", ()))
                verdict = "held" if kind == "held" else decision["reason"]
                decisions[decision["order_id"]] = (at, verdict, held)

    connection = await aio_pika.connect_robust(settings.amqp_url)
    try:
        listening = await connection.channel()
        listen = await listening.declare_queue(exclusive=True, auto_delete=True)
        exchange = await listening.get_exchange(settings.amqp_exchange, ensure=False)
        await listen.bind(exchange, HoldsDecidedV1.routing_key())
        await listen.consume(on_decision, no_ack=True)
        meter = CpuMeter()
        queue = settings.orders_queue
        if arrival == "backlog":
            began, published = await _publish_as_backlog(connection, queue, envelopes, meter)
        else:
            began, published = await _publish_streamed(connection, queue, envelopes, window, meter)
        await wait_until(
            lambda: len(decisions) >= orders, within=max_seconds, interval=0.1, message="every order decided"
        )
        cpu = meter.stop()
    finally:
        await connection.close()

    async with platform.http(4) as http:
        inventory = await platform.inventory(http, event_id)
    await _give_back(platform, envelopes, decisions)
    times = sorted(t for t, _, _ in decisions.values())
    # The steady rate: the middle 80% of decisions, without the start-up and the tail.
    low, high = times[len(times) // 10], times[len(times) * 9 // 10]
    held = sum(n for _, kind, n in decisions.values() if kind == "held")
    kinds: dict[str, int] = {}
    for _, kind, _ in decisions.values():
        kinds[kind] = kinds.get(kind, 0) + 1
    counted = inventory["held"] + inventory["sold"]
    return {
        "arrival": arrival,
        "tickets": tickets,
        "orders": orders,
        "published_per_s": rate(orders, published - began),
        "decisions": kinds,
        "seconds": round(times[-1] - began, 2),
        "decisions_per_s": rate(len(times), times[-1] - began),
        "steady_decisions_per_s": rate(len(times) * 8 // 10, high - low),
        "tickets_held": held,
        "tickets_oversold": max(0, held - tickets, counted - inventory["capacity"]),
        "counters_match_decisions": counted == held,
        "cpu_cores": cpu,
        "cpu_ms_per_decision": meter.ms_per(len(times)),
    }


async def _publish_as_backlog(
    connection: aio_pika.abc.AbstractRobustConnection, queue: str, envelopes: list[Envelope], meter: CpuMeter
) -> tuple[float, float]:
    """Every order in one AMQP transaction: none is visible to the worker until the commit, and
    the commit is when the clock starts. Returns when the clock started and when the broker
    confirmed the commit (the orders were all in the queue)."""
    channel = await connection.channel(publisher_confirms=False)
    try:
        transaction = channel.transaction()
        await transaction.select()
        for envelope in envelopes:
            message = envelope_message(envelope)
            await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
        meter.start()
        began = time.perf_counter()
        await transaction.commit()
        return began, time.perf_counter()
    finally:
        await channel.close()


async def _publish_streamed(
    connection: aio_pika.abc.AbstractRobustConnection,
    queue: str,
    envelopes: list[Envelope],
    window: int,
    meter: CpuMeter,
) -> tuple[float, float]:
    """The orders published with confirms while the clock runs, ``window`` unconfirmed at most.
    Returns when the clock started and when the last publish was confirmed."""
    publishing = await connection.channel(publisher_confirms=True, on_return_raises=True)
    gate = asyncio.Semaphore(window)

    async def publish(envelope: Envelope) -> None:
        async with gate:
            await publishing.default_exchange.publish(
                envelope_message(envelope), routing_key=queue, mandatory=True, timeout=30
            )

    meter.start()
    began = time.perf_counter()
    await asyncio.gather(*(publish(e) for e in envelopes))
    return began, time.perf_counter()


async def _give_back(
    platform: Platform, placed: list[Envelope], decisions: dict[str, tuple[float, str, int]]
) -> None:
    """Cancel the orders held, as purchase-svc would, and wait until the event holds nothing:
    these orders exist only here, so neither a cancelled event nor their expiry two hours later
    would reach them through purchase-svc (``Platform.release_holds``)."""
    settings = platform.settings
    orders = [order for e in placed for order in e.payload["orders"]]
    held = [order for order in orders if decisions.get(order["order_id"], (0, ""))[1] == "held"]
    connection = await aio_pika.connect_robust(settings.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        for order in held:
            cancelled = OrderCancelledV1(
                order_id=order["order_id"], event_id=order["event_id"], lines=order["lines"], cause="admin"
            )
            await channel.default_exchange.publish(
                envelope_message(Envelope.wrap(cancelled, correlation_id=f"bench-{platform.run_id}")),
                routing_key=settings.orders_queue,
                mandatory=True,
                timeout=30,
            )
    finally:
        await connection.close()
    if held:
        async with platform.http(4) as http:
            await platform.until_nothing_held(http, str(held[0]["event_id"]), within=120)

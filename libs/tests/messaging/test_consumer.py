"""The inbox consumer on the real PostgreSQL and RabbitMQ: idempotent handling, retries with
growing delay, parking, and what happens when a consumer dies between commit and ack."""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
import pytest
from prometheus_client import REGISTRY

from crowdify.contracts.base import Contract
from crowdify.messaging import Envelope, Outbox
from crowdify.messaging.metrics import parking_queue_depth, update_parking_queue_depth
from crowdify.messaging.wire import CAUSATION_ID, CORRELATION_ID, PARKED_ERROR, PARKED_REASON, RETRY_COUNT
from crowdify.observability.context import correlation_id_var, request_id_var
from crowdify.testing import drain, queue_depth, wait_until

pytestmark = pytest.mark.integration


class TicketCountedV1(Contract):
    name = "test.ticket.counted"
    version = 1
    producer = "tests"

    ticket_id: str


class GateOpenedV1(Contract):
    name = "test.gate.opened"
    version = 1
    producer = "tests"

    gate: str


def metric(name: str, queue: str, type_: str = "test.ticket.counted.v1") -> float:
    return REGISTRY.get_sample_value(name, {"queue": queue, "type": type_}) or 0.0


async def test_handler_runs_in_the_unit_and_its_messages_carry_the_chain(
    db, make_consumer, publisher, probe, amqp
):
    follow_ups = await probe("test.gate.#", name="gates")
    uow_factory = db.uow_factory()
    outbox = Outbox(db.tables, publisher)
    outbox.attach(uow_factory)
    seen: list[tuple[str | None, str | None]] = []

    async def count(event: TicketCountedV1, envelope: Envelope, uow) -> None:
        seen.append((correlation_id_var.get(), request_id_var.get()))
        await db.record_effect(uow, event.ticket_id)
        await outbox.add(uow, GateOpenedV1(gate=f"gate-for-{event.ticket_id}"))

    consumer = make_consumer(uow_factory=uow_factory)
    consumer.on(TicketCountedV1, count)
    await consumer.start()

    original = Envelope.wrap(TicketCountedV1(ticket_id="t1"), correlation_id="order-1")
    await publisher.publish(original, headers={"x-request-id": "req-1"})

    [follow_up] = await drain(follow_ups, 1)
    assert seen == [("order-1", "req-1")]
    assert await db.effect_count("t1") == 1
    sent = Envelope.from_json(follow_up.body)
    assert sent.correlation_id == "order-1"
    assert sent.causation_id == str(original.id)
    assert follow_up.headers[CORRELATION_ID] == "order-1"
    assert follow_up.headers[CAUSATION_ID] == str(original.id)
    await wait_until(lambda: metric("crowdify_messages_consumed_total", consumer.queue) == 1)
    assert await queue_depth(amqp, consumer.queue) == 0


async def test_redelivered_message_is_a_no_op(db, make_consumer, publisher):
    async def count(event: TicketCountedV1, envelope: Envelope, uow) -> None:
        await db.record_effect(uow, event.ticket_id)

    consumer = make_consumer()
    consumer.on(TicketCountedV1, count)
    await consumer.start()

    envelope = Envelope.wrap(TicketCountedV1(ticket_id="once"), correlation_id="c")
    await publisher.publish(envelope)
    await publisher.publish(envelope)  # same id: what a lost confirm or a relay re-send looks like

    await wait_until(lambda: metric("crowdify_messages_consumed_total", consumer.queue) == 2)
    assert metric("crowdify_messages_duplicate_total", consumer.queue) == 1
    assert await db.effect_count("once") == 1


async def test_handler_failing_twice_is_retried_with_growing_delay_then_succeeds(
    db, make_consumer, publisher, amqp
):
    attempts: list[float] = []

    async def flaky(event: TicketCountedV1, envelope: Envelope, uow) -> None:
        attempts.append(time.monotonic())
        await db.record_effect(uow, event.ticket_id, note=f"attempt {len(attempts)}")
        if len(attempts) <= 2:
            raise RuntimeError(f"transient failure {len(attempts)}")

    consumer = make_consumer()
    consumer.on(TicketCountedV1, flaky)
    await consumer.start()

    await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id="flaky"), correlation_id="c"))

    await wait_until(lambda: metric("crowdify_messages_consumed_total", consumer.queue) == 1)
    assert len(attempts) == 3
    first_wait, second_wait = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert first_wait >= consumer.topology.retry_delays[0]
    assert second_wait >= consumer.topology.retry_delays[1]
    # Only the successful attempt committed: the failed ones were rolled back with their inbox row.
    assert await db.effect_count("flaky") == 1
    assert metric("crowdify_messages_failed_total", consumer.queue) == 2
    assert metric("crowdify_messages_retried_total", consumer.queue) == 2
    assert await queue_depth(amqp, consumer.topology.parking_queue) == 0


async def test_retries_go_back_to_the_failing_consumer_only(db, make_consumer, publisher):
    calls = {"fails-once": 0, "steady": 0}

    def handler(name: str, fail_first: bool):
        async def handle(event: TicketCountedV1, envelope: Envelope, uow) -> None:
            calls[name] += 1
            if fail_first and calls[name] == 1:
                raise RuntimeError("not yet")
            await db.record_effect(uow, event.ticket_id, note=name)

        return handle

    fails_once, steady = make_consumer("fails-once"), make_consumer("steady")
    fails_once.on(TicketCountedV1, handler("fails-once", fail_first=True))
    steady.on(TicketCountedV1, handler("steady", fail_first=False))
    await fails_once.start()
    await steady.start()

    await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id="shared"), correlation_id="c"))

    await wait_until(lambda: metric("crowdify_messages_consumed_total", fails_once.queue) == 1)
    await wait_until(lambda: metric("crowdify_messages_consumed_total", steady.queue) == 1)
    assert calls == {"fails-once": 2, "steady": 1}
    assert await db.effect_count("shared") == 2


# Both queue types explicitly: the retry tiers' TTL and dead-lettering back to the work queue are
# declared differently for each (at-least-once dead-lettering on quorum queues only).
@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
async def test_handler_that_always_fails_is_parked_with_its_error(
    db, make_consumer, publisher, amqp, queue_type
):
    async def broken(event: TicketCountedV1, envelope: Envelope, uow) -> None:
        await db.record_effect(uow, event.ticket_id)
        raise ValueError("venue not found")

    consumer = make_consumer(queue_type=queue_type)
    consumer.on(TicketCountedV1, broken)
    await consumer.start()

    envelope = Envelope.wrap(TicketCountedV1(ticket_id="doomed"), correlation_id="c")
    await publisher.publish(envelope)

    parking = await (await amqp.channel()).declare_queue(consumer.topology.parking_queue, passive=True)
    [parked] = await drain(parking, 1)
    assert parked.message_id == str(envelope.id)
    assert parked.headers[RETRY_COUNT] == len(consumer.topology.retry_delays)
    assert parked.headers[PARKED_REASON] == "retries-exhausted"
    assert parked.headers[PARKED_ERROR] == "ValueError: venue not found"
    assert Envelope.from_json(parked.body) == envelope
    assert await db.effect_count() == 0
    assert metric("crowdify_messages_failed_total", consumer.queue) == len(consumer.topology.retry_delays) + 1
    assert metric("crowdify_messages_parked_total", consumer.queue) == 1


async def test_malformed_and_unknown_messages_are_parked_without_retries(db, make_consumer, amqp):
    async def never(event: TicketCountedV1, envelope: Envelope, uow) -> None:
        raise AssertionError("must not be called")

    consumer = make_consumer()
    consumer.on(TicketCountedV1, never)
    await consumer.start()
    channel = await amqp.channel(publisher_confirms=True)
    unknown = Envelope.wrap(GateOpenedV1(gate="g"), correlation_id="c")
    wrong_payload = Envelope.wrap(TicketCountedV1(ticket_id="x"), correlation_id="c").model_copy(
        update={"payload": {"ticket": 1}}
    )
    for body in (b"not json", unknown.to_json(), wrong_payload.to_json()):
        message = aio_pika.Message(body, message_id=str(uuid.uuid4()))
        await channel.default_exchange.publish(message, routing_key=consumer.queue)

    parking = await channel.declare_queue(consumer.topology.parking_queue, passive=True)
    parked = await drain(parking, 3)
    assert [m.headers[PARKED_REASON] for m in parked] == ["malformed", "unknown-type", "malformed"]
    assert all(RETRY_COUNT not in m.headers for m in parked)
    assert "no handler for test.gate.opened.v1" in parked[1].headers[PARKED_ERROR]
    assert metric("crowdify_messages_retried_total", consumer.queue, "unknown") == 0


async def test_consumer_killed_between_commit_and_ack_does_not_apply_twice(
    db, make_consumer, publisher, amqp
):
    uow_factory = db.uow_factory()
    handled: list[str] = []

    async def count(event: TicketCountedV1, envelope: Envelope, uow) -> None:
        handled.append(event.ticket_id)
        await db.record_effect(uow, event.ticket_id)

    doomed = make_consumer("counter", uow_factory=uow_factory)
    doomed.on(TicketCountedV1, count)

    def die_after_commit(uow) -> None:
        async def crash() -> None:
            if handled and doomed._connection is not None:
                await doomed.abort()  # the process dies: the commit is done, the ack never sent

        uow.after_commit(crash)

    uow_factory.on_new_unit(die_after_commit)
    await doomed.start()

    await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id="crash"), correlation_id="c"))
    await wait_until(lambda: db.effect_count("crash"), message="the first delivery committed")
    assert metric("crowdify_messages_consumed_total", doomed.queue) == 0

    survivor = make_consumer("counter")  # same queue, a fresh process
    survivor.on(TicketCountedV1, count)
    await survivor.start()

    await wait_until(lambda: metric("crowdify_messages_duplicate_total", survivor.queue) == 1)
    assert handled == ["crash"]
    assert await db.effect_count("crash") == 1
    assert await queue_depth(amqp, survivor.queue) == 0


async def test_parking_depth_is_read_without_consuming(db, make_consumer, amqp):
    consumer = make_consumer(parking_check_seconds=0.05)
    consumer.on(TicketCountedV1, lambda event, envelope, uow: None)  # type: ignore[arg-type,return-value]
    await consumer.start()
    channel = await amqp.channel(publisher_confirms=True)
    for _ in range(2):
        await channel.default_exchange.publish(
            aio_pika.Message(b"{}"), routing_key=consumer.topology.parking_queue
        )

    assert await parking_queue_depth(amqp, consumer.topology.parking_queue) == 2
    assert await update_parking_queue_depth(amqp, consumer.topology.parking_queue) == 2
    gauge = REGISTRY.get_sample_value(
        "crowdify_parking_queue_depth", {"queue": consumer.topology.parking_queue}
    )
    assert gauge == 2

    # A running consumer keeps the gauge current by itself.
    await channel.default_exchange.publish(
        aio_pika.Message(b"{}"), routing_key=consumer.topology.parking_queue
    )
    await wait_until(
        lambda: (
            REGISTRY.get_sample_value(
                "crowdify_parking_queue_depth", {"queue": consumer.topology.parking_queue}
            )
            == 3
        ),
        message="the consumer refreshed its parking depth",
    )


# Group commit (Consumer.on_batch): what waits is handled together in arrival order, a lone
# message is not held back, duplicates are acknowledged without effect, and a failing message
# falls back to one at a time without blocking its batch.


def counting_batches(db, batches: list[list[str]]):
    """A batch handler that records each batch's tickets and writes an effect per message."""

    async def count(batch, uow) -> None:
        batches.append([event.ticket_id for event, _ in batch])
        for event, _ in batch:
            await db.record_effect(uow, event.ticket_id)

    return count


async def test_waiting_messages_are_handled_together_in_arrival_order(db, make_consumer, publisher):
    batches: list[list[str]] = []
    count = counting_batches(db, batches)

    declared = make_consumer("batched")
    declared.on_batch(TicketCountedV1, count)
    await declared.start()
    await declared.stop()  # the queue exists; a backlog can wait in it
    sent = [f"t{n}" for n in range(12)]
    for ticket_id in sent:
        await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id=ticket_id), correlation_id="c"))

    consumer = make_consumer("batched")
    consumer.on_batch(TicketCountedV1, count, max_batch=5)
    await consumer.start()
    await wait_until(lambda: sum(len(b) for b in batches) == len(sent), message="every message handled")
    assert [t for b in batches for t in b] == sent
    assert max(len(b) for b in batches) > 1
    assert all(len(b) <= 5 for b in batches)
    assert await db.effect_count() == len(sent)


class TicketsCountedV1(Contract):
    """A batch of TicketCountedV1, as a new contract that replaces an old one."""

    name = "test.tickets.counted"
    version = 1
    producer = "tests"

    ticket_ids: tuple[str, ...]


async def test_a_contract_sharing_a_lane_is_batched_with_it_in_arrival_order(db, make_consumer, publisher):
    batches: list[list[str]] = []

    async def count(batch, uow) -> None:
        ids = [i for event, _ in batch for i in getattr(event, "ticket_ids", None) or (event.ticket_id,)]
        batches.append(ids)
        for ticket_id in ids:
            await db.record_effect(uow, ticket_id)

    def consumer_of_both():
        consumer = make_consumer("shared")
        consumer.on_batch(TicketsCountedV1, count)
        consumer.on_batch(TicketCountedV1, count, shares_lane_with=TicketsCountedV1)
        return consumer

    declared = consumer_of_both()
    await declared.start()
    await declared.stop()
    # A backlog of both kinds, interleaved as a rolling deploy would leave it.
    sent: list[str] = []
    for n in range(10):
        if n % 3 == 0:
            event: Contract = TicketCountedV1(ticket_id=f"t{n}")
            sent.append(f"t{n}")
        else:
            event = TicketsCountedV1(ticket_ids=(f"t{n}a", f"t{n}b"))
            sent.extend([f"t{n}a", f"t{n}b"])
        await publisher.publish(Envelope.wrap(event, correlation_id="c"))

    await consumer_of_both().start()
    await wait_until(lambda: sum(len(b) for b in batches) == len(sent), message="every message handled")
    assert [t for b in batches for t in b] == sent  # one order across both kinds
    # Some batch mixed the kinds: a lone ticket (no a/b suffix) beside a listed one.
    assert any({t[-1] in "ab" for t in b} == {True, False} for b in batches), batches
    assert await db.effect_count() == len(sent)


async def test_a_lone_message_is_handled_at_once_and_a_duplicate_without_effect(db, make_consumer, publisher):
    batches: list[int] = []

    async def count(batch, uow) -> None:
        batches.append(len(batch))
        for event, _ in batch:
            await db.record_effect(uow, event.ticket_id)

    consumer = make_consumer("lone")
    consumer.on_batch(TicketCountedV1, count, max_batch=50)
    await consumer.start()
    envelope = Envelope.wrap(TicketCountedV1(ticket_id="alone"), correlation_id="c")
    await publisher.publish(envelope)
    await wait_until(lambda: batches == [1], within=5, message="handled as a batch of one")
    await publisher.publish(envelope)  # the same message id again
    await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id="after"), correlation_id="c"))
    await wait_until(lambda: db.effect_count("after"), message="the next message handled")
    assert await db.effect_count("alone") == 1


async def test_a_poison_message_falls_back_to_one_at_a_time(db, make_consumer, publisher):
    attempts: list[list[str]] = []

    async def count(batch, uow) -> None:
        attempts.append([event.ticket_id for event, _ in batch])
        for event, _ in batch:
            if event.ticket_id == "poison":
                raise ValueError("cannot count this ticket")
            await db.record_effect(uow, event.ticket_id)

    declared = make_consumer("poisoned")
    declared.on_batch(TicketCountedV1, count)
    await declared.start()
    await declared.stop()
    for ticket_id in ("a", "b", "poison", "c", "d"):
        await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id=ticket_id), correlation_id="c"))
    consumer = make_consumer("poisoned")
    consumer.on_batch(TicketCountedV1, count)
    await consumer.start()

    async def good_ones_counted() -> bool:
        return all([await db.effect_count(t) == 1 for t in "abcd"])

    await wait_until(good_ones_counted, message="every good message handled")
    assert await db.effect_count("poison") == 0
    assert ["poison"] in attempts  # tried alone after its batch failed (and retried, not dropped)


async def test_a_lingering_lane_takes_messages_that_arrive_apart_together(db, make_consumer, publisher):
    batches: list[list[str]] = []
    count = counting_batches(db, batches)

    consumer = make_consumer("lingering")
    consumer.on_batch(TicketCountedV1, count, linger=0.5)
    await consumer.start()
    sent = [f"t{n}" for n in range(4)]
    for ticket_id in sent:
        await publisher.publish(Envelope.wrap(TicketCountedV1(ticket_id=ticket_id), correlation_id="c"))
        await asyncio.sleep(0.02)  # arriving apart, as a read model's messages do in a rush

    await wait_until(lambda: sum(len(b) for b in batches) == len(sent), message="every message handled")
    assert batches == [sent]
    assert await db.effect_count() == len(sent)

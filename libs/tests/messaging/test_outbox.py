"""The outbox on the real PostgreSQL and RabbitMQ: rows commit with the state change, are sent
right after commit, and whatever is left behind is sent by the relay exactly once."""

from __future__ import annotations

import asyncio
import logging

import pytest
from prometheus_client import REGISTRY

from crowdify.contracts.base import Contract
from crowdify.messaging import Envelope, Outbox, OutboxRelay, Publisher
from crowdify.messaging.wire import CORRELATION_ID, REQUEST_ID
from crowdify.observability.context import correlation_id_var, request_id_var
from crowdify.testing import drain, queue_depth, wait_until

pytestmark = pytest.mark.integration

UNREACHABLE_AMQP_URL = "amqp://guest:guest@127.0.0.1:1/"


class TicketCountedV1(Contract):
    name = "test.ticket.counted"
    version = 1
    producer = "tests"

    ticket_id: str


async def test_rollback_writes_and_publishes_nothing(db, publisher, probe, amqp):
    probe_queue = await probe()
    uow_factory = db.uow_factory()
    outbox = Outbox(db.tables, publisher)
    outbox.attach(uow_factory)

    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await outbox.add(uow, TicketCountedV1(ticket_id="t1"))
            raise RuntimeError("the state change failed")

    assert await db.outbox_rows() == []
    # Something committed afterwards does arrive, and it is the only message there is.
    async with uow_factory() as uow:
        await outbox.add(uow, TicketCountedV1(ticket_id="t2"))
    [message] = await drain(probe_queue, 1)
    assert Envelope.from_json(message.body).payload == {"ticket_id": "t2"}
    assert await queue_depth(amqp, probe_queue.name) == 0


async def test_after_commit_dispatch_sends_the_rows_of_the_unit(db, publisher, probe, rabbit, amqp):
    probe_queue = await probe()
    uow_factory = db.uow_factory()
    outbox = Outbox(db.tables, publisher)
    outbox.attach(uow_factory)

    correlation = correlation_id_var.set("order-42")
    request = request_id_var.set("req-7")
    try:
        async with uow_factory() as uow:
            first = await outbox.add(uow, TicketCountedV1(ticket_id="a"))
            second = await outbox.add(uow, TicketCountedV1(ticket_id="b"), causation_id="upstream")
    finally:
        request_id_var.reset(request)
        correlation_id_var.reset(correlation)

    messages = await drain(probe_queue, 2)
    by_id = {m.message_id: m for m in messages}
    assert set(by_id) == {str(first.id), str(second.id)}
    message = by_id[str(first.id)]
    assert message.routing_key == "test.ticket.counted.v1"
    assert message.correlation_id == "order-42"
    assert message.headers[CORRELATION_ID] == "order-42"
    assert message.headers[REQUEST_ID] == "req-7"
    assert Envelope.from_json(by_id[str(second.id)].body).causation_id == "upstream"
    rows = await db.outbox_rows()
    assert all(row.published_at is not None and row.attempts == 1 for row in rows)
    # Routed messages do not also go to the alternate exchange.
    assert await queue_depth(amqp, rabbit.unrouted) == 0


async def test_a_message_outside_any_chain_starts_its_own(db, publisher, probe):
    await probe()
    uow_factory = db.uow_factory()
    outbox = Outbox(db.tables, publisher)

    async with uow_factory() as uow:
        envelope = await outbox.add(uow, TicketCountedV1(ticket_id="solo"))

    assert envelope.correlation_id == str(envelope.id)
    assert envelope.causation_id is None


async def test_relay_sends_rows_a_crash_left_behind(db, publisher, probe):
    probe_queue = await probe()
    uow_factory = db.uow_factory()
    # Not attached: as if the process died right after commit, before its dispatch ran.
    outbox = Outbox(db.tables, publisher)
    async with uow_factory() as uow:
        envelopes = [await outbox.add(uow, TicketCountedV1(ticket_id=str(n))) for n in range(3)]
    relay = OutboxRelay(uow_factory, db.tables, publisher, grace_seconds=0)

    assert await relay.run_once() == 3
    assert await relay.run_once() == 0

    messages = await drain(probe_queue, 3)
    assert sorted(m.message_id for m in messages) == sorted(str(e.id) for e in envelopes)
    labels = {"outbox": relay.metric_label}
    assert REGISTRY.get_sample_value("crowdify_outbox_unpublished", labels) == 0


async def test_relay_leaves_fresh_rows_to_their_dispatch(db, publisher, probe):
    await probe()
    uow_factory = db.uow_factory()
    async with uow_factory() as uow:
        await Outbox(db.tables, None).add(uow, TicketCountedV1(ticket_id="fresh"))
    relay = OutboxRelay(uow_factory, db.tables, publisher, grace_seconds=60)

    assert await relay.run_once() == 0
    labels = {"outbox": relay.metric_label}
    assert REGISTRY.get_sample_value("crowdify_outbox_unpublished", labels) == 1
    assert REGISTRY.get_sample_value("crowdify_outbox_oldest_unpublished_age_seconds", labels) >= 0


async def test_row_committed_while_the_broker_is_unreachable_is_delivered_by_the_relay(
    db, infra, rabbit, probe
):
    probe_queue = await probe()
    uow_factory = db.uow_factory()
    unreachable = Publisher(UNREACHABLE_AMQP_URL, rabbit.exchange, connect_timeout=1)
    outbox = Outbox(db.tables, unreachable)
    outbox.attach(uow_factory)

    async with uow_factory() as uow:  # the commit succeeds: the broker is not part of it
        envelope = await outbox.add(uow, TicketCountedV1(ticket_id="late"))

    [row] = await db.outbox_rows()
    assert row.published_at is None
    assert row.attempts == 1
    assert "cannot reach the broker" in row.last_error

    async with Publisher(infra.amqp_url, rabbit.exchange) as reachable:
        relay = OutboxRelay(uow_factory, db.tables, reachable, grace_seconds=0)
        assert await relay.run_once() == 1
    [message] = await drain(probe_queue, 1)
    assert message.message_id == str(envelope.id)
    [row] = await db.outbox_rows()
    assert row.published_at is not None


async def test_message_nobody_is_bound_to_is_published_and_kept_in_the_unrouted_queue(
    db, publisher, rabbit, amqp, caplog
):
    # An event published before any consumer of it is deployed: the exchange's alternate exchange
    # takes it, the broker confirms it, and the outbox moves on instead of retrying it for ever.
    uow_factory = db.uow_factory()
    async with uow_factory() as uow:
        envelope = await Outbox(db.tables, None).add(uow, TicketCountedV1(ticket_id="nobody-listens"))
    relay = OutboxRelay(uow_factory, db.tables, publisher, grace_seconds=0)

    with caplog.at_level(logging.WARNING, logger="crowdify.messaging.relay"):
        assert await relay.run_once() == 1

    [row] = await db.outbox_rows()
    assert row.published_at is not None
    assert row.last_error is None
    assert REGISTRY.get_sample_value("crowdify_outbox_unpublished", {"outbox": relay.metric_label}) == 0
    assert REGISTRY.get_sample_value("crowdify_unrouted_queue_depth", {"queue": rabbit.unrouted}) == 1
    assert f"1 message(s) in {rabbit.unrouted}" in caplog.text
    unrouted = await (await amqp.channel()).declare_queue(rabbit.unrouted, passive=True)
    [message] = await drain(unrouted, 1)
    assert message.message_id == str(envelope.id)
    assert message.routing_key == "test.ticket.counted.v1"
    assert Envelope.from_json(message.body) == envelope


async def test_message_the_broker_returns_stays_in_the_outbox_with_backoff(db, publisher, rabbit, amqp):
    # Only a broken topology returns a message now: the unrouted exchange deleted by hand.
    # Publishing is still mandatory, so that is an error and a retry, not a silent drop.
    channel = await amqp.channel()
    await channel.exchange_delete(rabbit.unrouted)
    await channel.close()
    uow_factory = db.uow_factory()
    async with uow_factory() as uow:
        await Outbox(db.tables, None).add(uow, TicketCountedV1(ticket_id="returned"))
    relay = OutboxRelay(uow_factory, db.tables, publisher, grace_seconds=0, backoff=lambda attempts: 60.0)

    assert await relay.run_once() == 0
    [row] = await db.outbox_rows()
    assert row.published_at is None
    assert row.attempts == 1
    assert "NO_ROUTE" in row.last_error
    assert row.next_attempt_at > row.created_at
    assert await relay.run_once() == 0  # backing off: not even tried again
    [row] = await db.outbox_rows()
    assert row.attempts == 1


async def test_concurrent_relays_and_dispatches_publish_every_row_exactly_once(
    db, infra, rabbit, probe, amqp
):
    probe_queue = await probe()
    uow_factory = db.uow_factory()
    async with uow_factory() as uow:
        left_behind = Outbox(db.tables, None)
        for n in range(150):
            await left_behind.add(uow, TicketCountedV1(ticket_id=f"old-{n}"))

    async with (
        Publisher(infra.amqp_url, rabbit.exchange) as publisher_a,
        Publisher(infra.amqp_url, rabbit.exchange) as publisher_b,
    ):
        relays = [
            OutboxRelay(uow_factory, db.tables, publisher, batch_size=10, grace_seconds=0)
            for publisher in (publisher_a, publisher_b)
        ]
        live = Outbox(db.tables, publisher_a)
        live.attach(uow_factory)

        async def commit_more() -> None:
            for n in range(30):
                async with uow_factory() as uow:
                    await live.add(uow, TicketCountedV1(ticket_id=f"new-{n}"))

        async def relay_until_done(relay: OutboxRelay) -> int:
            total = 0
            while (sent := await relay.run_once()) or not producer.done():
                total += sent
                await asyncio.sleep(0)
            return total

        producer = asyncio.create_task(commit_more())
        sent_by_relays = await asyncio.gather(*(relay_until_done(relay) for relay in relays))
        await producer
        # Anything still unsent now (a row the relays skipped while a dispatch held it) goes too.
        await relays[0].run_once()

    assert all(sent > 0 for sent in sent_by_relays), "both relays took part"
    messages = await drain(probe_queue, 180)
    ids = [m.message_id for m in messages]
    assert len(set(ids)) == 180
    # Publishing returned only after the broker confirmed each message, so a duplicate would
    # already be in the queue by now.
    assert await queue_depth(amqp, probe_queue.name) == 0
    rows = await db.outbox_rows()
    assert len(rows) == 180 and all(row.published_at is not None for row in rows)


async def test_wait_until_reports_what_it_waited_for():
    with pytest.raises(AssertionError, match="never"):
        await wait_until(lambda: False, within=0.1, message="never")

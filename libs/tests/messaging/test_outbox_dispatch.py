"""The after-commit dispatch on the real PostgreSQL and RabbitMQ: the rows a commit wrote go out in
two round trips without being read back, never while a relay holds them, are marked only once the
broker confirmed them, and what the broker refuses stays for the relay."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from crowdify.contracts.base import Contract
from crowdify.messaging import Envelope, Outbox, OutboxRelay, Publisher
from crowdify.messaging.exchange import declare_exchange
from crowdify.messaging.outbox import Outgoing
from crowdify.messaging.outbox_dispatch import outbox_name
from crowdify.messaging.wire import REQUEST_ID
from crowdify.observability.context import request_id_var
from crowdify.testing import drain, queue_depth
from crowdify.testing.round_trips import statements_sent

pytestmark = pytest.mark.integration


class SeatCountedV1(Contract):
    name = "test.seat.counted"
    version = 1
    producer = "tests"

    seat: str


async def _commit(db: Any, count: int, prefix: str = "s") -> tuple[list[Envelope], dict[str, Any]]:
    """``count`` rows committed by a unit nobody dispatches (as a statement that writes its own
    outbox rows does), with the envelopes and headers that were written."""
    outbox = Outbox(db.tables, None)
    messages = [Outgoing(SeatCountedV1(seat=f"{prefix}-{n}")) for n in range(count)]
    async with db.uow_factory()() as uow:
        envelopes = await outbox.add_many(uow, messages)
    headers = outbox.request_headers()
    return envelopes, headers


async def test_committed_rows_go_out_in_two_round_trips_as_they_were_written(db, publisher, probe):
    probe_queue = await probe()
    request = request_id_var.set("req-dispatch")
    try:
        envelopes, headers = await _commit(db, 3)
    finally:
        request_id_var.reset(request)
    outbox = Outbox(db.tables, publisher)

    with statements_sent(db.engine) as sent:
        await outbox.send(db.engine, envelopes, headers)

    # BEGIN with the lock, then the mark with COMMIT: no read-back of what was just written.
    assert len(sent) == 2, sent
    assert sent[0].startswith("BEGIN;") and "FOR UPDATE SKIP LOCKED" in sent[0]
    assert sent[1].startswith("UPDATE") and sent[1].endswith("COMMIT")
    messages = await drain(probe_queue, 3)
    assert {m.message_id: Envelope.from_json(m.body) for m in messages} == {str(e.id): e for e in envelopes}
    assert all(m.headers[REQUEST_ID] == "req-dispatch" for m in messages)
    rows = await db.outbox_rows()
    assert all(row.published_at is not None and row.attempts == 1 for row in rows)


async def test_an_attached_units_rows_are_sent_after_its_commit_without_the_orm(db, publisher, probe):
    probe_queue = await probe()
    uow_factory = db.uow_factory()
    outbox = Outbox(db.tables, publisher)
    outbox.attach(uow_factory)

    with statements_sent(db.engine) as sent:
        async with uow_factory() as uow:
            envelope = await outbox.add(uow, SeatCountedV1(seat="unit"))

    # The unit's own statements, then the dispatch's two; the envelope is never read back.
    assert sent[-2].startswith("BEGIN;") and sent[-1].endswith("COMMIT"), sent
    assert [s for s in sent if "envelope" in s and not s.startswith("INSERT")] == []
    [message] = await drain(probe_queue, 1)
    assert Envelope.from_json(message.body) == envelope
    [row] = await db.outbox_rows()
    assert row.published_at is not None


async def test_rows_a_relay_holds_are_left_to_it_and_each_goes_out_once(db, publisher, probe, amqp):
    probe_queue = await probe()
    envelopes, headers = await _commit(db, 2)
    held, free = envelopes
    table = outbox_name(db.engine, db.tables.outbox)

    # A relay in the middle of sending ``held``: its row is locked in another transaction.
    async with db.engine.connect() as relay_connection, relay_connection.begin():
        locked = text(f"SELECT id FROM {table} WHERE id = :id FOR UPDATE")
        await relay_connection.execute(locked, {"id": held.id})
        # (Bounded: a dispatch that waited for the held row would wait for this very test.)
        async with asyncio.timeout(10):
            with statements_sent(db.engine) as sent:
                await Outbox(db.tables, publisher).send(db.engine, envelopes, headers)
        # The lock's status said one row was missing, so it asked which: one more round trip (and,
        # the first time on a connection, asyncpg's type introspection for its parameters).
        ours = [statement for statement in sent if table in statement]
        assert len(ours) == 3, ours

    [message] = await drain(probe_queue, 1)
    assert message.message_id == str(free.id)
    rows = {row.id: row for row in await db.outbox_rows()}
    assert rows[held.id].published_at is None and rows[held.id].attempts == 0
    assert rows[free.id].published_at is not None

    relay = OutboxRelay(db.uow_factory(), db.tables, publisher, grace_seconds=0)
    assert await relay.run_once() == 1
    [message] = await drain(probe_queue, 1)
    assert message.message_id == str(held.id)
    # A dispatch that comes late (after the relay sent its rows) sends nothing again.
    await Outbox(db.tables, publisher).send(db.engine, envelopes, headers)
    assert await queue_depth(amqp, probe_queue.name) == 0


async def test_a_dispatch_and_relays_racing_on_the_same_rows_publish_each_once(
    db, infra, rabbit, probe, amqp
):
    probe_queue = await probe()
    async with (
        Publisher(infra.amqp_url, rabbit.exchange) as dispatching,
        Publisher(infra.amqp_url, rabbit.exchange) as relaying,
    ):
        outbox = Outbox(db.tables, dispatching)
        relays = [
            OutboxRelay(db.uow_factory(), db.tables, relaying, batch_size=5, grace_seconds=0)
            for _ in range(2)
        ]
        committed: list[Envelope] = []
        for round_ in range(10):
            envelopes, headers = await _commit(db, 10, prefix=f"r{round_}")
            committed.extend(envelopes)
            # The dispatch and two relays all reach for the same fresh rows at once.
            await asyncio.gather(
                outbox.send(db.engine, envelopes, headers), *(relay.run_once() for relay in relays)
            )
        while await relays[0].run_once():
            pass

    messages = await drain(probe_queue, len(committed))
    assert sorted(m.message_id for m in messages) == sorted(str(e.id) for e in committed)
    # Publishing returned only once the broker confirmed each message: a duplicate would be there.
    assert await queue_depth(amqp, probe_queue.name) == 0
    rows = await db.outbox_rows()
    assert all(row.published_at is not None and row.attempts == 1 for row in rows)


async def test_a_message_the_broker_refuses_is_recorded_and_left_for_the_relay(db, publisher, rabbit, amqp):
    # With nothing bound and the alternate exchange deleted, the broker returns the message.
    channel = await amqp.channel()
    await channel.exchange_delete(rabbit.unrouted)
    envelopes, headers = await _commit(db, 1)

    await Outbox(db.tables, publisher).send(db.engine, envelopes, headers)

    [row] = await db.outbox_rows()
    assert row.published_at is None
    assert row.attempts == 1
    assert "NO_ROUTE" in row.last_error
    assert row.next_attempt_at <= row.created_at  # no backoff: the relay may send it when due
    async with db.engine.connect() as connection:
        open_transactions = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = :schema AND state LIKE 'idle in transaction%'"
            ),
            {"schema": db.schema},
        )
    assert open_transactions == 0  # the dispatch's transaction ended with its commit

    await declare_exchange(channel, rabbit.exchange)  # the topology is repaired
    await channel.close()
    relay = OutboxRelay(db.uow_factory(), db.tables, publisher, grace_seconds=0)
    assert await relay.run_once() == 1
    [row] = await db.outbox_rows()
    assert row.published_at is not None and row.attempts == 2


async def test_rows_are_sent_on_a_connection_the_caller_holds(db, publisher, probe):
    probe_queue = await probe()
    envelopes, headers = await _commit(db, 2)

    with statements_sent(db.engine) as sent:
        async with db.engine.connect() as connection:  # the one the rows were written on
            await Outbox(db.tables, publisher).send(connection, envelopes, headers)
            raw = await connection.get_raw_connection()
            assert raw.driver_connection is not None
            assert not raw.driver_connection.is_in_transaction()  # committed: the caller may go on

    assert len(sent) == 2, sent
    messages = await drain(probe_queue, 2)
    assert sorted(m.message_id for m in messages) == sorted(str(e.id) for e in envelopes)
    assert all(row.published_at is not None for row in await db.outbox_rows())

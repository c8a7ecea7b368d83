"""First admissions are announced (validation.tickets.admitted.v1) by the worker, off the scan's
path: one message per event for each batch it claims, listing every first entry once with its gate
and time in order of admission, and again if an offline scan synced later turns out to be the
earlier first entry. The per-ticket validation.ticket.admitted.v1 is no longer sent."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from crowdify.contracts.validation import TicketAdmittedV1, TicketsAdmittedV1
from crowdify.messaging.envelope import Envelope
from crowdify.testing.polling import wait_until
from crowdify.testing.service_under_test import Bearer, Publish, StartWorker
from tests.door import Door
from tests.integration.test_offline_sync import offline, sync
from validation_svc.settings import ValidationSettings


@dataclass
class Announced:
    """Every admission message published on this test's exchange, in the order received."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    per_ticket: list[dict[str, Any]] = field(default_factory=list)

    def of_event(self, event_id: object) -> list[dict[str, Any]]:
        return [m for m in self.batches if m["event_id"] == str(event_id)]

    def admissions_of(self, ticket_id: object) -> list[dict[str, Any]]:
        return [a for m in self.batches for a in m["admissions"] if a["ticket_id"] == str(ticket_id)]


@pytest.fixture
async def announced(settings: ValidationSettings) -> AsyncIterator[Announced]:
    received = Announced()
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(settings.amqp_exchange)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, TicketsAdmittedV1.routing_key())
    await queue.bind(exchange, TicketAdmittedV1.routing_key())

    async def record(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            envelope = Envelope.from_json(message.body)
            if message.routing_key == TicketsAdmittedV1.routing_key():
                received.batches.append(envelope.payload)
            else:
                received.per_ticket.append(envelope.payload)

    await queue.consume(record)
    try:
        yield received
    finally:
        await connection.close()


def gate_and_time(admission: dict[str, Any]) -> tuple[str, datetime]:
    return admission["gate"], datetime.fromisoformat(admission["admitted_at"])


async def test_each_first_admission_is_announced_once_and_an_earlier_offline_one_again(
    door: Door, announced: Announced
) -> None:
    event_id = await door.event(reentry_allowed=True)
    _, [(first_id, first), (second_id, second)] = await door.issue(event_id, 2)
    assert (await door.scan(first, event_id, gate="norte"))["result"] == "admitted"
    assert (await door.scan(first, event_id, gate="norte", direction="out"))["result"] == "exited"
    assert (await door.scan(first, event_id, gate="sur"))["result"] == "admitted"  # re-entry: not a first

    def admissions_of(ticket_id: object, count: int = 1) -> list[dict[str, Any]] | None:
        found = announced.admissions_of(ticket_id)
        return found if len(found) >= count else None

    [admission] = await wait_until(lambda: admissions_of(first_id), message="the first admission announced")
    assert admission["gate"] == "norte"
    assert datetime.fromisoformat(admission["admitted_at"]) > datetime.now(UTC) - timedelta(minutes=1)

    # The second ticket: let in by a phone at 20:00 offline, synced after the event.
    at = datetime.now(UTC) - timedelta(hours=1)
    await sync(door, event_id, "phone-oeste", [offline(second, "oeste", at)])
    [late] = await wait_until(lambda: admissions_of(second_id), message="the offline admission announced")
    assert gate_and_time(late) == ("oeste", at)
    # An even earlier offline entry of the first ticket takes its first entry over: announced too.
    earlier = datetime.now(UTC) - timedelta(hours=2)
    await sync(door, event_id, "phone-este", [offline(first, "este", earlier)])
    found = await wait_until(lambda: admissions_of(first_id, 2), message="the earlier first entry announced")
    assert gate_and_time(found[1]) == ("este", earlier)
    assert len(announced.admissions_of(first_id)) == 2 and len(announced.admissions_of(second_id)) == 1
    assert announced.per_ticket == []


async def test_a_batch_of_admissions_is_one_message_per_event_in_order_of_admission(
    start_worker: StartWorker,
    publish: Publish,
    client: httpx.AsyncClient,
    bearer: Bearer,
    announced: Announced,
) -> None:
    # A worker whose loop has announced once at start and then waits: the test claims the batch.
    worker = await start_worker(admissions_poll_seconds=3600)
    door = Door(publish, client, bearer("scanner"), bearer("coordinator"))
    festival, recital = await door.event(), await door.event()
    _, festival_tickets = await door.issue(festival, 3)
    _, recital_tickets = await door.issue(recital, 2)
    gates = {}
    for n, (ticket_id, code) in enumerate(festival_tickets + recital_tickets):
        event_id = festival if n < 3 else recital
        gates[str(ticket_id)] = f"puerta-{n}"
        assert (await door.scan(code, event_id, gate=f"puerta-{n}"))["result"] == "admitted"

    assert await worker.admissions.announce_due() >= 5  # other tests' leftovers may be claimed too

    def both_events() -> bool:
        return bool(announced.of_event(festival) and announced.of_event(recital))

    await wait_until(both_events, message="the batch announced")
    for event_id, tickets in ((festival, festival_tickets), (recital, recital_tickets)):
        [message] = announced.of_event(event_id)
        admissions = message["admissions"]
        assert [a["ticket_id"] for a in admissions] == [str(ticket_id) for ticket_id, _ in tickets]
        assert all(a["gate"] == gates[a["ticket_id"]] for a in admissions)
        times = [datetime.fromisoformat(a["admitted_at"]) for a in admissions]
        assert times == sorted(times)

    # Nothing is left to announce: each first entry went out exactly once.
    assert await worker.admissions.announce_due() == 0

    # A phone's sync shows an earlier first entry for one festival ticket: announced alone, again.
    ticket_id, code = festival_tickets[1]
    earlier = datetime.now(UTC) - timedelta(hours=1)
    await sync(door, festival, "phone-oeste", [offline(code, "oeste", earlier)])
    assert await worker.admissions.announce_due() == 1
    await wait_until(lambda: len(announced.of_event(festival)) == 2, message="the earlier entry announced")
    [again] = announced.of_event(festival)[1]["admissions"]
    assert again["ticket_id"] == str(ticket_id) and gate_and_time(again) == ("oeste", earlier)
    assert len(announced.of_event(recital)) == 1
    assert announced.per_ticket == []


async def test_an_earlier_offline_entry_still_being_synced_is_announced_once_it_commits(
    start_worker: StartWorker,
    publish: Publish,
    client: httpx.AsyncClient,
    bearer: Bearer,
    announced: Announced,
    settings: ValidationSettings,
    tables: AsyncEngine,
) -> None:
    # The announcer must not claim a queued ticket while a sync that moves its first entry earlier
    # is still uncommitted: it would announce the later entry and the earlier one never.
    worker = await start_worker(admissions_poll_seconds=3600)
    door = Door(publish, client, bearer("scanner"), bearer("coordinator"))
    event_id = await door.event()
    _, [(ticket_id, code)] = await door.issue(event_id, 1)
    assert (await door.scan(code, event_id, gate="norte"))["result"] == "admitted"  # queued
    earlier = datetime.now(UTC) - timedelta(hours=1)
    s = settings.db_schema
    async with tables.connect() as sync_conn:
        transaction = await sync_conn.begin()
        [answer] = await sync_conn.scalars(
            text(
                f"SELECT {s}.door_sync('test-sync', NULL, :event, 'phone-oeste', ARRAY[:scan_id],"
                " ARRAY[CAST(:ticket AS uuid)], ARRAY[CAST(:event AS uuid)], ARRAY[0], ARRAY['oeste'],"
                " ARRAY['in'], ARRAY[CAST(:at AS timestamptz)], ARRAY['admitted'])"
            ),
            {"event": event_id, "scan_id": uuid.uuid4().hex, "ticket": ticket_id, "at": earlier},
        )
        assert '"result" : "admitted"' in answer, answer
        await worker.admissions.announce_due()  # while the sync is uncommitted: not this ticket
        await transaction.commit()
    await worker.admissions.announce_due()
    [admission] = await wait_until(
        lambda: announced.admissions_of(ticket_id) or None, message="the earlier first entry announced"
    )
    assert gate_and_time(admission) == ("oeste", earlier)
    # Nothing of this ticket is left in the queue: the later entry will not follow.
    async with tables.connect() as conn:
        due = await conn.scalar(
            text(f"SELECT count(*) FROM {s}.admissions_due WHERE ticket_id = :ticket"), {"ticket": ticket_id}
        )
    assert due == 0 and announced.admissions_of(ticket_id) == [admission], "announced exactly once"

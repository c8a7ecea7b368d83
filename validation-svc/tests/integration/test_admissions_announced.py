"""First admissions are announced (validation.ticket.admitted.v1) by the worker, off the scan's
path: once per ticket, with its gate and time, and again if an offline scan synced later turns out
to be the earlier first entry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aio_pika
import pytest

from crowdify.contracts.validation import TicketAdmittedV1
from crowdify.messaging.envelope import Envelope
from crowdify.testing.polling import wait_until
from tests.door import Door
from tests.integration.test_offline_sync import offline, sync
from validation_svc.settings import ValidationSettings


@pytest.fixture
async def admitted(settings: ValidationSettings) -> AsyncIterator[list[dict[str, Any]]]:
    """The payloads of every validation.ticket.admitted.v1 published on this test's exchange."""
    received: list[dict[str, Any]] = []
    connection = await aio_pika.connect(settings.amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(settings.amqp_exchange)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange, TicketAdmittedV1.routing_key())

    async def record(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        async with message.process():
            received.append(Envelope.from_json(message.body).payload)

    await queue.consume(record)
    try:
        yield received
    finally:
        await connection.close()


async def test_each_first_admission_is_announced_once_and_an_earlier_offline_one_again(
    door: Door, admitted: list[dict[str, Any]]
) -> None:
    event_id = await door.event(reentry_allowed=True)
    _, [(first_id, first), (second_id, second)] = await door.issue(event_id, 2)
    assert (await door.scan(first, event_id, gate="norte"))["result"] == "admitted"
    assert (await door.scan(first, event_id, gate="norte", direction="out"))["result"] == "exited"
    assert (await door.scan(first, event_id, gate="sur"))["result"] == "admitted"  # re-entry: not a first

    def announced(ticket_id: object, count: int = 1) -> list[dict[str, Any]] | None:
        found = [m for m in admitted if m["ticket_id"] == str(ticket_id)]
        return found if len(found) >= count else None

    [message] = await wait_until(lambda: announced(first_id), message="the first admission announced")
    assert message["event_id"] == str(event_id) and message["gate"] == "norte"
    assert datetime.fromisoformat(message["admitted_at"]) > datetime.now(UTC) - timedelta(minutes=1)

    # The second ticket: let in by a phone at 20:00 offline, synced after the event.
    at = datetime.now(UTC) - timedelta(hours=1)
    await sync(door, event_id, "phone-oeste", [offline(second, "oeste", at)])
    [late] = await wait_until(lambda: announced(second_id), message="the offline admission announced")
    assert (late["gate"], datetime.fromisoformat(late["admitted_at"])) == ("oeste", at)
    # An even earlier offline entry of the first ticket takes its first entry over: announced too.
    earlier = datetime.now(UTC) - timedelta(hours=2)
    await sync(door, event_id, "phone-este", [offline(first, "este", earlier)])
    found = await wait_until(lambda: announced(first_id, 2), message="the earlier first entry announced")
    assert [(m["gate"], datetime.fromisoformat(m["admitted_at"])) for m in found][1] == ("este", earlier)
    assert len(announced(first_id) or []) == 2 and len(announced(second_id) or []) == 1

"""How a claimed batch of first entries becomes messages: one per event, in order of admission,
split where a message would exceed the contract's bound."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from crowdify.contracts.validation import ADMISSIONS_PER_MESSAGE
from validation_svc.service.admissions import admissions_by_event


class Claimed(NamedTuple):
    """A row as the announcer's claim returns it."""

    id: uuid.UUID
    event_id: uuid.UUID
    ticket_type_id: uuid.UUID
    first_entry_gate: str
    first_entry_at: datetime


def claimed(event_id: uuid.UUID, count: int, start: datetime) -> list[Claimed]:
    return [
        Claimed(uuid.uuid4(), event_id, uuid.uuid4(), "norte", start + timedelta(seconds=n))
        for n in range(count)
    ]


def test_one_message_per_event_in_order_of_admission() -> None:
    now = datetime.now(UTC)
    festival, recital = uuid.uuid4(), uuid.uuid4()
    rows = claimed(festival, 3, now) + claimed(recital, 2, now)
    shuffled = [rows[4], rows[1], rows[3], rows[2], rows[0]]
    messages = admissions_by_event(shuffled)
    assert {m.event_id: [a.ticket_id for a in m.admissions] for m in messages} == {
        festival: [r.id for r in rows[:3]],
        recital: [r.id for r in rows[3:]],
    }


def test_a_claim_larger_than_a_message_allows_is_split() -> None:
    event_id = uuid.uuid4()
    rows = claimed(event_id, ADMISSIONS_PER_MESSAGE + 1, datetime.now(UTC))
    messages = admissions_by_event(rows)
    assert [len(m.admissions) for m in messages] == [ADMISSIONS_PER_MESSAGE, 1]
    assert [a.ticket_id for m in messages for a in m.admissions] == [r.id for r in rows]


def test_nothing_claimed_is_no_message() -> None:
    assert admissions_by_event([]) == []

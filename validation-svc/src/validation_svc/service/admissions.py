"""Announcing first admissions (``validation.tickets.admitted.v1``) off the door's hot path.

A scan sets the ticket's ``first_entry_at`` (and gate) and queues the ticket in ``admissions_due``
when that is its first entry (or when an offline scan synced later takes the first entry over);
this loop in the worker takes a batch off the queue and adds one outbox message per event for the
lot, in one transaction: admissions reach the other services within a poll, exactly once per first
entry, and a scan never waits for the broker. ``SKIP LOCKED`` lets several workers share the work.
An offline sync that moves a queued first entry earlier locks the ticket's queue row until it
commits (migration 0009), so the announcer skips it and announces the earlier time on a later
pass; a first entry that changes while its announcement is being made is queued again once that
transaction ends (the insert waits for the queue's key), so the earlier time is announced too.

One message per event and batch, not one per ticket: at the door each message cost a persistent
publish, the broker's work and a consumer's transaction, more CPU than the scan it reported.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text

from crowdify.contracts.validation import ADMISSIONS_PER_MESSAGE, Admission, TicketsAdmittedV1
from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox, Outgoing
from crowdify.tasks import pause, survive

log = logging.getLogger(__name__)

# Takes up to a batch of first entries off the queue and reads them: the queue's rows are
# deleted in the transaction that adds their announcement to the outbox.
CLAIM_UNANNOUNCED = text("""
    WITH due AS (
        DELETE FROM admissions_due WHERE ticket_id IN (
            SELECT ticket_id FROM admissions_due LIMIT :batch FOR UPDATE SKIP LOCKED
        )
        RETURNING ticket_id
    )
    SELECT t.id, t.event_id, t.ticket_type_id, t.first_entry_gate, t.first_entry_at
    FROM tickets AS t JOIN due ON t.id = due.ticket_id
""")


def admissions_by_event(rows: Sequence[Any]) -> list[TicketsAdmittedV1]:
    """The claimed tickets as messages: one per event (more past ``ADMISSIONS_PER_MESSAGE``),
    each listing its admissions in order of admission."""
    by_event: defaultdict[UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_event[row.event_id].append(row)
    messages = []
    for event_id, claimed in by_event.items():
        claimed.sort(key=lambda row: (row.first_entry_at, row.id))
        for start in range(0, len(claimed), ADMISSIONS_PER_MESSAGE):
            admissions = tuple(
                Admission(
                    ticket_id=row.id,
                    ticket_type_id=row.ticket_type_id,
                    gate=row.first_entry_gate,
                    admitted_at=row.first_entry_at,
                )
                for row in claimed[start : start + ADMISSIONS_PER_MESSAGE]
            )
            messages.append(TicketsAdmittedV1(event_id=event_id, admissions=admissions))
    return messages


class AdmissionAnnouncer:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, outbox: Outbox, *, poll_seconds: float, batch: int
    ) -> None:
        self.uow_factory = uow_factory
        self.outbox = outbox
        self.poll_seconds = poll_seconds
        self.batch = batch

    async def announce_due(self) -> int:
        """Announce up to one batch; returns how many."""
        async with self.uow_factory() as uow:
            rows = (await uow.session.execute(CLAIM_UNANNOUNCED, {"batch": self.batch})).all()
            messages = admissions_by_event(rows)
            await self.outbox.add_many(
                uow, [Outgoing(message, correlation_id=str(message.event_id)) for message in messages]
            )
        return len(rows)

    async def run_forever(self) -> None:
        while True:
            announced = await survive(
                self.announce_due(), log, "could not announce admissions; trying again", level=logging.WARNING
            )
            if announced == self.batch:
                continue  # a backlog (after a rush or an outage): keep going without sleeping
            await pause(self.poll_seconds)

"""Announcing first admissions (``validation.ticket.admitted.v1``) off the door's hot path.

A scan only sets the ticket's ``first_entry_at`` (and gate); this loop in the worker finds the
tickets whose first entry has not been announced yet (or changed: an offline scan synced later
took the first entry over), adds one outbox message each and marks them, in one transaction:
admissions reach the other services within a poll, exactly once per first entry, and a scan never
waits for the broker. ``SKIP LOCKED`` lets several workers share the work.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text

from crowdify.contracts.validation import TicketAdmittedV1
from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox

log = logging.getLogger(__name__)

CLAIM_UNANNOUNCED = text("""
    WITH due AS (
        SELECT id FROM tickets
        WHERE first_entry_at IS NOT NULL AND announced_entry_at IS DISTINCT FROM first_entry_at
        ORDER BY first_entry_at
        LIMIT :batch
        FOR UPDATE SKIP LOCKED
    )
    UPDATE tickets AS t SET announced_entry_at = t.first_entry_at
    FROM due WHERE t.id = due.id
    RETURNING t.id, t.event_id, t.ticket_type_id, t.first_entry_gate, t.first_entry_at
""")


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
            for row in rows:
                message = TicketAdmittedV1(
                    ticket_id=row.id,
                    event_id=row.event_id,
                    ticket_type_id=row.ticket_type_id,
                    gate=row.first_entry_gate,
                    admitted_at=row.first_entry_at,
                )
                await self.outbox.add(uow, message, correlation_id=str(row.event_id))
        return len(rows)

    async def run_forever(self) -> None:
        while True:
            try:
                while await self.announce_due() == self.batch:
                    pass  # a backlog (after a rush or an outage): keep going without sleeping
            except Exception:
                log.warning("could not announce admissions; trying again", exc_info=True)
            await asyncio.sleep(self.poll_seconds)

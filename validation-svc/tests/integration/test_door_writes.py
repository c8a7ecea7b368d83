"""What a scan writes: an admission changes no indexed column of the ticket, so PostgreSQL writes
it as a heap-only update (no index entry, no index page in the WAL that the commit waits for;
migration 0008, ADR 0023), and queues the first entry for the announcer."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.door import Door
from validation_svc.settings import ValidationSettings

pytestmark = pytest.mark.integration


async def test_an_admission_is_a_heap_only_update_and_its_first_entry_is_queued(
    door: Door, settings: ValidationSettings, tables: AsyncEngine
) -> None:
    s = settings.db_schema
    event_id = await door.event()
    _, issued = await door.issue(event_id, 4)
    scan = text(
        f"SELECT {s}.door_scan('test-writes', NULL, :scan_id, :event, :ticket, :event, 0, 'norte', 'p1',"
        " 'in')"
    )
    async with tables.begin() as conn:
        # The counters of this transaction alone: no other test's writes in them. One admission per
        # ticket, as at a door: the versions this transaction leaves cannot be pruned until it ends,
        # and four of them fit in the room fillfactor leaves on a page.
        for ticket_id, _ in issued:
            answer = await conn.scalar(
                scan, {"scan_id": uuid.uuid4().hex, "event": event_id, "ticket": ticket_id}
            )
            assert '"result" : "admitted"' in answer, answer
        updates, heap_only = (
            await conn.execute(
                text(
                    "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
                    " WHERE schemaname = :schema AND relname = 'tickets'"
                ),
                {"schema": s},
            )
        ).one()
        queued = await conn.scalar(
            text(f"SELECT count(*) FROM {s}.admissions_due WHERE ticket_id = ANY(:ids)"),
            {"ids": [ticket_id for ticket_id, _ in issued]},
        )
    assert updates == 4
    assert heap_only == 4, "an admission changed an indexed column of the ticket"
    assert queued == 4, "each first entry is queued for the announcer"

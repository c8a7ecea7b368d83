"""The door's statements find their rows by key whatever the table statistics say.

PostgreSQL plans a function's statements from the statistics and caches the plan for the
connection. When `scans` was empty at the last ANALYZE or VACUUM (a new deployment, a purged
log), the cheapest plan for "the scan with this key" is to read the table, and a door pool that
planned it so would go on reading the whole, growing scan log for every scan until the table is
analyzed again. The door pool's
sessions switch sequential scans off (``door_statements._SESSION``), so the plan takes the key.
"""

from __future__ import annotations

import uuid

import pytest

from tests.door import Door
from validation_svc.adapters.door_statements import DoorStatements
from validation_svc.settings import ValidationSettings

pytestmark = pytest.mark.integration

# This transaction's sequential scans of the scan log (PostgreSQL counts them per transaction).
SEQUENTIAL_SCANS = "SELECT seq_scan FROM pg_stat_xact_user_tables WHERE schemaname = $1 AND relname = 'scans'"


async def test_a_door_pool_planned_on_an_empty_scan_log_reads_scans_by_their_key(
    door: Door, settings: ValidationSettings
) -> None:
    s = settings.db_schema
    event_id = await door.event()
    _, [(ticket_id, _)] = await door.issue(event_id)
    statements = await DoorStatements.open(settings.database_url, s, size=1)
    try:
        async with statements.pool.acquire() as connection:
            transaction = connection.transaction()
            await transaction.start()
            try:
                # An empty scan log with statistics that say so, as after a new deployment's
                # first ANALYZE; undone with the transaction (other tests' scans come back).
                await connection.execute(f"TRUNCATE {s}.scans")
                await connection.execute(f"ANALYZE {s}.scans")
                before = await connection.fetchval(SEQUENTIAL_SCANS, s)  # TRUNCATE's own count
                for _ in range(12):  # past the five custom plans, into the cached generic one
                    await connection.fetchval(
                        f"SELECT {s}.door_scan('test-plans', NULL, $1, $2, $3, $2, 0, 'norte', 'p1', 'in',"
                        " NULL)",
                        uuid.uuid4().hex,
                        event_id,
                        ticket_id,
                    )
                sequential = await connection.fetchval(SEQUENTIAL_SCANS, s) - before
            finally:
                await transaction.rollback()
    finally:
        await statements.close()
    assert sequential == 0, f"{sequential} sequential scans of the scan log for 12 scans"

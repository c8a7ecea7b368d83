"""What a batch reads does not grow with the holds of other buyers.

``decide_holds`` looks up the orders of the batch decided before and counts each buyer's live
holds (the per-buyer cap). PostgreSQL plans the function's statements and keeps the plans for the
connection, so they must reach those rows by their keys whatever the statistics said when they
were planned. A kept plan that reads every live hold of the event (or every hold) makes each
batch read more with every order of an on-sale (migration 0006).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from event_svc.service.holding import decide_holds
from event_svc.settings import EventSettings
from tests.factories import published_event, type_values
from tests.integration.test_hold_batch_statements import decided_in, order

pytestmark = pytest.mark.integration

# Rows of `holds` this transaction read, by index or by reading the table (PostgreSQL counts them
# per transaction).
HOLDS_READ = (
    "SELECT idx_tup_fetch + seq_tup_read FROM pg_stat_xact_user_tables"
    " WHERE schemaname = $1 AND relname = 'holds'"
)


@pytest.mark.parametrize("statistics", [True, False], ids=["analyzed", "never-analyzed"])
async def test_a_batch_reads_its_buyers_live_holds_not_every_live_hold(
    catalog, settings: EventSettings, statistics: bool
) -> None:
    event_id, [type_id] = await published_event(catalog, types=[type_values(capacity=5000, max_per_order=4)])
    # An on-sale under way: 2,000 live holds of the event, in batches of 100.
    for _ in range(20):
        others = [order(event_id, type_id, 1) for _ in range(100)]
        assert set((await decided_in(catalog, others))[0]) == {"held"}
    if statistics:  # as a server's autovacuum keeps them; a server without it has none
        async with catalog.uow_factory() as uow:
            await uow.session.execute(text(f"ANALYZE {settings.db_schema}.holds"))

    reads = []
    async with catalog.uow_factory() as uow:
        db = await uow.driver_connection()
        for _ in range(8):  # past the five custom plans, into the cached generic one
            before = await db.fetchval(HOLDS_READ, settings.db_schema)
            assert await decide_holds(uow, catalog.outbox, [order(event_id, type_id, 1)]) == ["held"]
            reads.append(await db.fetchval(HOLDS_READ, settings.db_schema) - before)
    # A new buyer holds nothing yet, and the order is new: the one hold read is the new order's
    # own, by the foreign key of its lines.
    assert reads == [1] * 8, f"holds read per batch of one new buyer's order: {reads}"

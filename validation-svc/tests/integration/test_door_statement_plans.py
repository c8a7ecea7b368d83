"""The door's statements stay plans PostgreSQL caches (no helper it must parse on every scan), and
the manifest's delta reads only what changed."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine

from validation_svc.service.manifest import manifest_tickets
from validation_svc.settings import ValidationSettings

pytestmark = pytest.mark.integration


async def test_the_answer_time_format_is_inlined_into_the_statements_that_use_it(
    settings: ValidationSettings, tables: AsyncEngine
) -> None:
    # A SQL function PostgreSQL cannot inline is parsed and planned again on every call: declared
    # more immutable than its body (to_char is STABLE), door_time_text was, on every scan.
    async with tables.connect() as conn:
        plan = "\n".join(
            row[0]
            for row in await conn.execute(
                text(
                    f"EXPLAIN (VERBOSE) SELECT {settings.db_schema}.door_time_text(at)"
                    " FROM (VALUES (now())) AS v(at)"
                )
            )
        )
        formatted = await conn.scalar(
            text(f"SELECT {settings.db_schema}.door_time_text('2026-12-03 20:15:01.5-03'::timestamptz)")
        )
    assert "to_char" in plan and "door_time_text" not in plan, plan
    assert formatted == "2026-12-03T23:15:01.500000+00:00"


async def test_a_manifest_delta_reads_two_index_ranges_not_every_ticket_of_the_event(
    settings: ValidationSettings, tables: AsyncEngine
) -> None:
    # With an OR of "changed by the registry" and "scanned", PostgreSQL filtered every ticket of
    # the event through a subplan: a second per device's delta on an event of 300,000 tickets.
    delta = manifest_tickets(uuid.uuid4(), since=1234)
    sql = str(delta.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    async with tables.begin() as conn:
        await conn.execute(text("SET LOCAL enable_seqscan = off"))  # as on an event of any size
        plan = "\n".join(row[0] for row in await conn.execute(text(f"EXPLAIN {sql}")))
    assert "ix_tickets_event_changed" in plan and "changed_xid >= 1234" in plan, plan
    assert "ix_scans_event_xid" in plan and "SubPlan" not in plan, plan

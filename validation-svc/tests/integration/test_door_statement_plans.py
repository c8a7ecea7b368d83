"""The door's statements stay plans PostgreSQL caches: no helper it must parse on every scan."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

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

"""A service's engine keeps a fixed pool: a burst waits for the pool's connections instead of
opening (and then closing) more, each of which would be a new PostgreSQL backend."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from crowdify.testing import TestInfrastructureSettings, unique_schema

POOL_SIZE = 3
BURST = 9


async def test_a_burst_waits_for_the_pools_connections_and_opens_no_more() -> None:
    async with unique_schema(TestInfrastructureSettings().database_url, pool_size=POOL_SIZE) as db:
        held, most_held = 0, 0
        pool_full = asyncio.Event()

        async def unit() -> int:
            nonlocal held, most_held
            async with db.engine.connect() as conn:
                backend = int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
                held += 1
                most_held = max(most_held, held)
                if held == POOL_SIZE:
                    pool_full.set()
                # Every unit keeps its connection until the pool's are all out at once, so the
                # rest of the burst has to ask for more than the pool holds.
                await pool_full.wait()
                held -= 1
                return backend

        first = set(await asyncio.gather(*(unit() for _ in range(BURST))))
        again = set(await asyncio.gather(*(unit() for _ in range(BURST))))
    assert most_held == POOL_SIZE
    assert len(first) == POOL_SIZE and again == first, "the same backends serve every burst"

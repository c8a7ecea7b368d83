"""PostgreSQL's client connections while a step runs: how many at most, against how many the
server allows. A step that opens a connection per process and burst (every pool's overflow at
once) shows here before it shows as refused connections."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import asyncpg

T = TypeVar("T")
CLIENT_BACKENDS = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
SAMPLE_SECONDS = 0.05


async def with_connection_peak(dsn: str, work: Callable[[], Awaitable[T]]) -> tuple[T, dict[str, Any]]:
    """Run ``work`` while sampling the server's client connections every 50 ms (the sampler's own
    connection counted); return its result and ``{"peak", "max_connections"}``."""
    sampler = await asyncpg.connect(dsn)
    peak = 0

    async def sample() -> None:
        nonlocal peak
        while True:
            peak = max(peak, int(await sampler.fetchval(CLIENT_BACKENDS)))
            await asyncio.sleep(SAMPLE_SECONDS)

    try:
        allowed = int(await sampler.fetchval("SHOW max_connections"))
        task = asyncio.create_task(sample())
        try:
            result = await work()
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    finally:
        await sampler.close()
    return result, {"peak": peak, "max_connections": allowed}

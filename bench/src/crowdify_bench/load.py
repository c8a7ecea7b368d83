"""The load generator's pieces: one aiohttp session per scenario, client addresses, timed calls.

Every request goes to the gateway on the loopback interface. The gateway rate-limits per
credential and per client address and, in development, believes ``X-Forwarded-For`` from this
machine; a rush of thousands of people is many addresses, so each request presents one from
198.18.0.0/15, the range RFC 2544 sets aside for benchmarks (it only ever appears in a header).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp


def session(base_url: str | None, connections: int, timeout: float = 30.0) -> aiohttp.ClientSession:
    """A keep-alive session with room for ``connections`` sockets at once (no queueing here)."""
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections, ttl_dns_cache=300)
    return aiohttp.ClientSession(
        base_url=base_url, connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
    )


class Addresses:
    """Client addresses handed out round robin, so no address reaches the per-address limit."""

    def __init__(self, count: int = 4096, offset: int = 0) -> None:
        self._cycle: Iterator[str] = itertools.cycle(
            f"198.{18 + n // 65536 % 2}.{n // 256 % 256}.{n % 256}" for n in range(offset, offset + count)
        )

    def next(self) -> str:
        return next(self._cycle)


def bearer(token: str, address: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if address is not None:
        headers["X-Forwarded-For"] = address
    return headers


@dataclass
class Answer:
    """One timed request: when it started and ended (monotonic seconds), its status and body."""

    started: float
    ended: float
    status: int
    body: Any = None
    error: str | None = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


async def call(http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any) -> Answer:
    """Send one request and time it; transport errors become an answer with status 0."""
    started = time.perf_counter()
    try:
        async with http.request(method, path, **kwargs) as response:
            body = await response.json(content_type=None) if response.status != 204 else None
            return Answer(started, time.perf_counter(), response.status, body)
    except (aiohttp.ClientError, TimeoutError, ValueError) as error:
        return Answer(started, time.perf_counter(), 0, None, type(error).__name__)


@dataclass
class Tally:
    """Counts of outcomes by name, for the report."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def get(self, name: str) -> int:
        return self.counts.get(name, 0)

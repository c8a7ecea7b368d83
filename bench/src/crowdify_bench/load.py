"""The load generator's pieces: one aiohttp session per scenario, client addresses, timed calls,
and the open loop that sends each request at its scheduled instant.

Every request goes to the gateway on the loopback interface. The gateway rate-limits per person
and per client address and, in development, believes ``X-Forwarded-For`` from this machine; a
rush of thousands of people is many addresses, so each request presents one from 198.18.0.0/15,
the range RFC 2544 sets aside for benchmarks (it only ever appears in a header).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
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


class BuyerAddresses:
    """Where an on-sale's buyers come from: a quarter behind one mobile carrier's address (CGNAT),
    a tenth behind a second carrier's, the rest spread over ``households`` home addresses, a few
    of which are shared (family, flatmates). Drawn with a fixed seed, so runs compare."""

    CARRIERS: tuple[tuple[float, str], ...] = ((0.25, "198.19.255.1"), (0.10, "198.19.255.2"))

    def __init__(self, households: int = 4096, seed: int = 11) -> None:
        self._households = households
        self._rng = random.Random(seed)

    def next(self) -> str:
        draw = self._rng.random()
        for share, address in self.CARRIERS:
            if draw < share:
                return address
            draw -= share
        n = self._rng.randrange(self._households)
        return f"198.18.{n // 256 % 256}.{n % 256}"


def address_spread(addresses: Sequence[str]) -> dict[str, Any]:
    """How many addresses the requests came from, and the largest share behind one."""
    counts = Counter(addresses)
    busiest = max(counts.values(), default=0)
    return {
        "distinct": len(counts),
        "largest_share_behind_one": round(busiest / len(addresses), 3) if addresses else None,
    }


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
    # In an open loop: how late the load generator itself sent the request after its instant.
    late_by: float = 0.0

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


async def send_open_loop(
    offsets: Sequence[float], send: Callable[[int], Awaitable[Answer]]
) -> tuple[float, list[Answer]]:
    """Start ``send(n)`` at ``offsets[n]`` seconds after the start, whether or not earlier ones
    have been answered (an open loop, as people arrive). Each answer's latency is counted from its
    scheduled instant (``started``): when the platform falls behind, the queue shows in the
    latency instead of slowing the load down. ``late_by`` is how late the generator itself sent
    it. Returns the start instant and the answers in the order of ``offsets``."""
    began = time.perf_counter() + 0.01

    async def timed(n: int, due: float) -> Answer:
        answer = await send(n)
        answer.late_by = max(0.0, answer.started - due)
        answer.started = due
        return answer

    tasks: list[asyncio.Task[Answer]] = []
    for n, offset in enumerate(offsets):
        due = began + offset
        wait = due - time.perf_counter()
        if wait > 0.001:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(timed(n, due)))
    return began, list(await asyncio.gather(*tasks))


@dataclass
class Tally:
    """Counts of outcomes by name, for the report."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def get(self, name: str) -> int:
        return self.counts.get(name, 0)

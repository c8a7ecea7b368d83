"""What happened to the platform while a scenario ran, so no figure hides it.

The machine is shared: another suite may restart the broker or the whole platform in the middle
of a run. A scenario's figures are kept either way; the run lists what it saw next to them.
"""

from __future__ import annotations

import time
from typing import Any

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from crowdify_bench.procs import command_line, processes

WATCHED = ("event-api", "event-worker", "purchase-api", "purchase-worker", "validation-api", "nginx")
# nginx's cache loader (the edge caches verified tokens) exits by design about a minute after
# nginx starts: its end is not a process replaced.
EXPECTED_TO_EXIT = "nginx: cache loader process"


def _platform_pids() -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for pid, name in processes().items():
        if name in WATCHED and EXPECTED_TO_EXIT not in command_line(pid):
            found.setdefault(name, set()).add(pid)
    return found


class Incidents:
    """Broker connection drops (seen by a connection of its own) and platform processes that
    were replaced, per step of the run."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.seen: list[dict[str, Any]] = []
        self._connection: AbstractRobustConnection | None = None
        self._step = "start"
        self._pids: dict[str, set[int]] = {}

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self.amqp_url)
        self._connection.close_callbacks.add(self._broker_lost)

    def _broker_lost(self, *_: Any) -> None:
        self.seen.append({"step": self._step, "what": "broker connection lost", "at": round(time.time(), 1)})

    def enter(self, step: str) -> None:
        self._step = step
        self._pids = _platform_pids()

    def leave(self) -> list[dict[str, Any]]:
        after = _platform_pids()
        replaced = sorted(name for name, pids in self._pids.items() if after.get(name) != pids)
        if replaced:
            self.seen.append({"step": self._step, "what": f"processes replaced: {', '.join(replaced)}"})
        return [incident for incident in self.seen if incident["step"] == self._step]

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close_callbacks.discard(self._broker_lost)
            await self._connection.close()

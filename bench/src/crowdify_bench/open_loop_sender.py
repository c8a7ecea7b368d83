"""The door's open loop, sent by a Node process beside the bench (``bench/open-loop-sender``).

aiohttp spends about 0.4 ms of CPU per request it sends and reads; at the door's rates that is a
fifth of the two cores the platform is measured on. Node's HTTP client, kept alive across every
step of a run, costs a fraction of it (ADR 0021). The Python side prepares each step's requests
(before the clock starts), says go, and turns the answers back into :class:`Answer` objects
exactly as :func:`crowdify_bench.load.send_open_loop` returns them: ``started`` is the instant a
request was due, ``late_by`` how late the sender was, so the figures mean what they meant.

The process's CPU is the load generator's (``procs.classify`` knows its command line).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from crowdify_bench.load import Answer
from crowdify_bench.procs import SENDER_MARK

# bench/open-loop-sender/sender.mjs; procs recognises the process by this part of its command line.
SCRIPT = Path(__file__).resolve().parents[2] / SENDER_MARK
# A step's answers come back as one line of JSON: a few megabytes at the highest rates.
LINE_LIMIT = 1 << 28
# The edge closes a connection idle for 65 s; the sender opens them all again after a pause.
IDLE_SECONDS = 30.0
# One request of a step: when it is due (seconds after go), its headers and its body.
Request = tuple[float, dict[str, str], str]


class SenderError(RuntimeError):
    """The Node sender is missing, stopped or answered something unexpected."""


class OpenLoopSender:
    """One Node process with ``connections`` kept-alive sockets to ``base_url``."""

    def __init__(self, base_url: str, connections: int, timeout: float = 30.0) -> None:
        self._connections = connections
        self._settings = {"base_url": base_url, "connections": connections, "timeout_s": timeout}
        self._process: asyncio.subprocess.Process | None = None
        self._prepared: list[float] = []
        self._last_sent = 0.0

    async def __aenter__(self) -> OpenLoopSender:
        node = shutil.which("node")
        if node is None:
            raise SenderError("node is not installed (make bootstrap installs it)")
        self._process = await asyncio.create_subprocess_exec(
            node, str(SCRIPT), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=LINE_LIMIT
        )
        await self._exchange(self._settings, "ready")
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def prepare(self, method: str, path: str, requests: Sequence[Request]) -> None:
        """Hand the sender a step: ``(seconds after go, headers, body)`` per request."""
        if time.monotonic() - self._last_sent > IDLE_SECONDS:
            await self._open_connections()
        await self._load(method, path, requests)

    async def _load(self, method: str, path: str, requests: Sequence[Request]) -> None:
        job = {
            "method": method,
            "path": path,
            "requests": [{"at": at, "headers": headers, "body": body} for at, headers, body in requests],
        }
        accepted = await self._exchange(job, "accepted")
        if accepted != len(requests):
            raise SenderError(f"the sender took {accepted} requests of {len(requests)}")
        self._prepared = [at for at, _, _ in requests]

    async def go(self) -> tuple[float, list[Answer]]:
        """Send the prepared step; returns its start instant and the answers in request order."""
        offsets, self._prepared = self._prepared, []
        began = time.perf_counter()
        raw = await self._exchange("go", "answers")
        self._last_sent = time.monotonic()
        answers = []
        for offset, (status, latency, late, text) in zip(offsets, raw, strict=True):
            due = began + offset
            body, error = (_body(text), None) if status else (None, text)
            answers.append(Answer(due, due + latency, status, body, error, late))
        return began, answers

    async def _open_connections(self) -> None:
        """Every socket opened (on the edge's own health answer) before a step that follows a
        pause: the first step, or one after an event was seeded. No step pays for handshakes that
        a continuous rush would not, nor finds sockets the edge has closed meanwhile."""
        count = self._connections
        await self._load("GET", "/health", [(0.0, {}, "")] * count)
        _, answers = await self.go()
        failed = [a for a in answers if a.status != 200]
        if failed:
            first = failed[0]
            raise SenderError(f"{len(failed)} of {count} connections failed: {first.status} {first.error}")

    async def _exchange(self, message: Any, expect: str) -> Any:
        process = self._process
        if process is None or process.stdin is None or process.stdout is None:
            raise SenderError("the sender is not running")
        process.stdin.write(json.dumps(message).encode() + b"\n")
        await process.stdin.drain()
        line = await process.stdout.readline()
        if not line:
            raise SenderError(f"the sender stopped (exit code {await process.wait()})")
        reply = json.loads(line)
        if expect not in reply:
            raise SenderError(f"the sender answered {str(reply)[:200]}")
        return reply[expect]


def _body(text: str) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text

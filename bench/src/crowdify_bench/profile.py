"""Sampling profiles of the platform's processes while a rush runs (py-spy, attached by pid).

Each process gets a folded-stacks file (``<name>.folded``: one ``frame;frame;... count`` line per
stack, what flamegraph.pl and speedscope.app read) and a summary kept in the results: where the
samples land by package and by function, and which of our own functions are on the stack most.
py-spy reads the stacks without pausing the process (``--nonblocking``): on this machine its
pausing mode lost most samples of the uvloop-based APIs (their stacks stopped at the event
loop), and the measured passes run without any profiler anyway. Waiting threads are not
sampled, so the shares are of the CPU each process spent.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from crowdify_bench.procs import pids_named

OWN_PACKAGES = ("crowdify", "crowdify_gateway", "event_svc", "purchase_svc", "validation_svc", "pdf_svc")
# Leaves where a process waits rather than works (py-spy's idle detection misses some when it
# does not pause the process): counted apart, left out of the shares.
IDLE_LEAVES = frozenset(
    {"EpollSelector.select", "_PollLikeSelector.select", "Condition.wait", "Runner.run", "sleep"}
)
FRAME = re.compile(r"^(?P<function>.+?) \((?P<path>[^():]+)(?::\d+)?\)$")


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


def _python_pid(name: str) -> int | None:
    """The Python process of a Procfile entry (not a shell that may wrap it)."""
    for pid in pids_named(name):
        with contextlib.suppress(OSError):
            if "python" in Path(f"/proc/{pid}/exe").resolve().name:
                return pid
    return None


class Profiler:
    """``async with Profiler(directory, ["purchase-api", ...]) as profiler:`` samples while inside."""

    def __init__(self, directory: Path, names: list[str], rate: int = 100) -> None:
        self.directory = directory
        self.names = names
        self.rate = rate
        self.summaries: dict[str, Any] = {}
        self._running: dict[str, tuple[asyncio.subprocess.Process, Path]] = {}

    async def __aenter__(self) -> Profiler:
        binary = _py_spy()
        if binary is None:
            self.summaries["error"] = "py-spy is not installed"
            return self
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            pid = _python_pid(name)
            if pid is None:
                self.summaries[name] = {"error": "process not found"}
                continue
            out = self.directory / f"{name}.folded"
            # --subprocesses: a server with several worker processes is sampled in all of them.
            command = [binary, "record", "--pid", str(pid), "--subprocesses", "--rate", str(self.rate)]
            command += ["--format", "raw", "--nonblocking", "--output", str(out)]
            process = await asyncio.create_subprocess_exec(
                *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
            )
            self._running[name] = (process, out)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for name, (process, out) in self._running.items():
            # py-spy writes its file when interrupted, as after Ctrl-C.
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                process.kill()
                await process.wait()
            self.summaries[name] = summarize(out) if out.exists() else {"error": "py-spy wrote nothing"}


def _split(frame: str) -> tuple[str, str]:
    match = FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), "?"
    return match.group("function"), match.group("path")


def _package(path: str) -> str:
    first = path.split("/", 1)[0]
    return first[:-3] if first.endswith(".py") else first


def summarize(folded: Path, top: int = 12) -> dict[str, Any]:
    """Shares of samples: by package and function where they land (self), and our own functions
    anywhere on the stack (inclusive)."""
    by_package: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    own_inclusive: Counter[str] = Counter()
    total = idle = 0
    for line in folded.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_split(frame) for frame in stack.split(";")]
        function, path = frames[-1]
        if function in IDLE_LEAVES:
            idle += count
            continue
        total += count
        by_package[_package(path)] += count
        by_function[f"{function} ({path})"] += count
        seen = {f"{f} ({p})" for f, p in frames if _package(p) in OWN_PACKAGES}
        for name in seen:
            own_inclusive[name] += count

    def shares(counter: Counter[str]) -> dict[str, float]:
        return {name: round(n / total, 3) for name, n in counter.most_common(top)} if total else {}

    return {
        "samples": total,
        "waiting_samples_left_out": idle,
        "file": folded.name,
        "self_by_package": shares(by_package),
        "self_by_function": shares(by_function),
        "own_code_inclusive": shares(own_inclusive),
    }

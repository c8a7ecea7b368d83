"""Who spent the CPU: the platform's processes found in /proc, and their CPU time per scenario.

On two shared cores a rate means little without knowing which process was busy: the service
under test, nginx, PostgreSQL, the broker or the load generator itself. Processes are named by
their command line (the Procfile's commands); PostgreSQL backends and nginx workers are summed.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")

# (substring of the command line, name), first match wins.
PATTERNS: tuple[tuple[str, str], ...] = (
    ("event_svc.main", "event-api"),
    ("event_svc.worker", "event-worker"),
    ("purchase_svc.main", "purchase-api"),
    ("purchase_svc.worker", "purchase-worker"),
    ("validation_svc.main", "validation-api"),
    ("validation_svc.worker", "validation-worker"),
    ("pdf_svc.main", "pdf-api"),
    ("pdf_svc.worker", "pdf-worker"),
    ("notification_svc.main", "notification-api"),
    ("notification_svc.worker", "notification-worker"),
    ("crowdify_gateway.app", "gateway-auth"),
    ("mp_emulator", "mp-emulator"),
    ("supabase_emulator", "supabase-emulator"),
    ("moto_server", "s3"),
    ("maildev", "mail-sink"),
    ("nginx", "nginx"),
    ("postgres", "postgres"),
    ("beam.smp", "rabbitmq"),
    ("redis-server", "redis"),
    ("py-spy", "py-spy"),
)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def classify(pid: int) -> str | None:
    if pid == os.getpid():
        return "load generator"
    cmdline = _cmdline(pid)
    for needle, name in PATTERNS:
        if needle in cmdline:
            return name
    return None


def processes() -> dict[int, str]:
    """Every process of interest on the machine, by pid."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            name = classify(int(entry.name))
            if name is not None:
                found[int(entry.name)] = name
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of ``pid`` (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def pids_named(name: str) -> list[int]:
    return sorted(pid for pid, found in processes().items() if found == name)


@dataclass
class CpuMeter:
    """CPU used by each named process group between :meth:`start` and :meth:`stop`, in cores."""

    before: dict[int, tuple[str, float]] | None = None
    started: float = 0.0

    def start(self) -> None:
        self.before = {pid: (name, cpu_seconds(pid)) for pid, name in processes().items()}
        self.started = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Cores used per process group (1.0 is one core busy all along), busiest first."""
        assert self.before is not None, "start() first"
        wall = time.monotonic() - self.started
        used: dict[str, float] = {}
        for pid, name in processes().items():
            start = self.before.get(pid, (name, 0.0))[1]
            used[name] = used.get(name, 0.0) + max(0.0, cpu_seconds(pid) - start)
        cores = {name: round(seconds / wall, 2) for name, seconds in used.items() if seconds / wall >= 0.01}
        cores["machine (2 cores = 2.0)"] = round(sum(cores.values()), 2)
        return dict(sorted(cores.items(), key=lambda item: -item[1]))

"""Who spent the CPU: the platform's processes found in /proc, and their CPU time per scenario.

On two shared cores a rate means little without knowing which process was busy: the service
under test, nginx, PostgreSQL, the broker, the load generator itself, or something else on the
machine. Processes are named by their command line (the Procfile's commands); PostgreSQL
backends and nginx workers are summed. The platform's own processes are those descending from the
process manager ``make start`` ran (``.run/platform.pid``): copies of the services that other
test suites start (on other ports), and PostgreSQL backends serving other databases, count as
``others``, with every other process on the machine.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import gzip
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from crowdify_bench.settings import BenchSettings

# The Node process sending the door's open loop: part of its command line (``open_loop_sender.SCRIPT``
# is built from it).
SENDER_MARK = "open-loop-sender/sender.mjs"
TICKS = os.sysconf("SC_CLK_TCK")
PLATFORM_PID_FILE = Path(__file__).resolve().parents[3] / ".run" / "platform.pid"
PLATFORM_DATABASE = urlsplit(BenchSettings().validation_database_url).path.lstrip("/")
SHARED = frozenset({"postgres", "rabbitmq", "redis", "s3", "mail-sink", "py-spy"})
# What a unit of work's cost leaves out: the load generator and the profiler are not the platform.
NOT_PLATFORM = frozenset({"load generator", "py-spy", "others"})
# Stand-ins for providers that are someone else's machines in production (Mercado Pago, Supabase
# Auth, SendGrid, S3, an SMTP server): their CPU is reported, apart from the platform's.
EMULATORS = frozenset({"mp-emulator", "supabase-emulator", "sendgrid-emulator", "s3", "mail-sink"})
# What a unit's ``platform`` CPU leaves out: both of the above.
NOT_PLATFORM_NOR_EMULATORS = NOT_PLATFORM | EMULATORS

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
    ("admin_svc.main", "admin-api"),
    ("admin_svc.worker", "admin-worker"),
    ("crowdify_gateway.app", "gateway-auth"),
    ("mp_emulator", "mp-emulator"),
    ("supabase_emulator", "supabase-emulator"),
    ("sendgrid_emulator", "sendgrid-emulator"),
    ("moto_server", "s3"),
    ("maildev", "mail-sink"),
    ("nginx", "nginx"),
    ("postgres", "postgres"),
    ("beam.smp", "rabbitmq"),
    ("redis-server", "redis"),
    ("py-spy", "py-spy"),
    # The process manager of `make start` relays every log line of every process to its log file.
    ("honcho", "honcho (log relay)"),
)


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _platform_root() -> int | None:
    """The pid of the process manager running the platform ``make start`` started, if any."""
    try:
        return int(PLATFORM_PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return parents


def _descends(pid: int, root: int, parents: dict[int, int]) -> bool:
    for _ in range(64):
        if pid == root:
            return True
        if pid not in parents or pid <= 1:
            return False
        pid = parents[pid]
    return False


# PostgreSQL backends name their user and database ("postgres: 15/main: event_svc crowdify_test_...");
# one serving another database (another engineer's test suite) is not the platform's.
_BACKEND = re.compile(r"^postgres: [^:]+: \S+ (?P<database>\S+) ")


def _other_database(cmdline: str) -> bool:
    match = _BACKEND.match(cmdline)
    return match is not None and match.group("database") != PLATFORM_DATABASE


def classify(pid: int, root: int | None = None, parents: dict[int, int] | None = None) -> str:
    if pid == os.getpid():
        return "load generator"
    cmdline = command_line(pid)
    if SENDER_MARK in cmdline:  # the door's open loop, sent from Node (open_loop_sender)
        return "load generator"
    if _other_database(cmdline):
        return "others"
    for needle, name in PATTERNS:
        if needle in cmdline:
            if name in SHARED or root is None or parents is None or _descends(pid, root, parents):
                return name
            return "others"
    return "others"


def processes() -> dict[int, str]:
    """Every process on the machine, by pid, named (``others`` for the rest). A process whose
    command line names nothing takes its parent's name: uvicorn's worker processes
    (``--workers``) are started by multiprocessing with a command line of its own."""
    root, parents = _platform_root(), _parents()
    named = {pid: classify(pid, root, parents) for pid in parents}
    for pid, name in named.items():
        parent = named.get(parents.get(pid, 0), "others")
        if name == "others" and parent not in SHARED | NOT_PLATFORM | {"honcho (log relay)"}:
            named[pid] = parent
    return named


def alive_pids() -> set[int]:
    return {int(entry) for entry in os.listdir("/proc") if entry.isdigit()}


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of ``pid`` (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def pids_named(name: str) -> list[int]:
    return sorted(pid for pid, found in processes().items() if found == name)


@dataclass(frozen=True)
class MachineTimes:
    """CPU seconds of the whole machine (all cores) from /proc/stat's first line."""

    busy: float  # user + nice + system + irq + softirq: work done on this machine
    kernel: float  # irq + softirq: interrupt handling, the loopback's packets among it
    steal: float  # the hypervisor ran something else while this machine had work


def machine_times(stat: str | None = None) -> MachineTimes:
    """Parse /proc/stat (or ``stat``, its text): ``cpu user nice system idle iowait irq softirq
    steal guest guest_nice``, in ticks. Idle and iowait are not busy; steal is apart (time the
    hypervisor took, not work done here); guest time is already inside user and nice. Fields a
    kernel does not have count as 0."""
    line = (Path("/proc/stat").read_text() if stat is None else stat).split("\n", 1)[0]
    name, *values = line.split()
    if name != "cpu":
        raise ValueError(f"not /proc/stat's total line: {line[:80]!r}")
    user, nice, system, _idle, _iowait, irq, softirq, steal = ([int(v) for v in values] + [0] * 8)[:8]
    return MachineTimes(
        busy=(user + nice + system + irq + softirq) / TICKS,
        kernel=(irq + softirq) / TICKS,
        steal=steal / TICKS,
    )


def irq_time_accounted_apart() -> bool | None:
    """Whether the kernel charges interrupt time to no process (``CONFIG_IRQ_TIME_ACCOUNTING``),
    from its build configuration (/proc/config.gz, or /boot/config-<release>); None if neither
    says. Without it, ``kernel`` overlaps the processes' system time (``CpuMeter.stop``)."""
    release = os.uname().release
    for path, opener in ((Path("/proc/config.gz"), gzip.open), (Path(f"/boot/config-{release}"), open)):
        try:
            with opener(path, "rt") as config:
                text = config.read()
        except OSError:
            continue
        return "CONFIG_IRQ_TIME_ACCOUNTING=y" in text
    return None


MACHINE_BUSY = f"machine busy (of {os.cpu_count()} cores)"
# Interrupt handling, from /proc/stat: no process is named for it, so no unit of work's cost
# counts it (it is shown per unit apart, ``ms_per``).
KERNEL = "kernel (irq, softirq)"
STEAL = "steal"


@dataclass
class CpuMeter:
    """CPU used by each named process group between :meth:`start` and :meth:`stop`, in cores."""

    before: dict[int, tuple[str, float]] | None = None
    machine_before: MachineTimes | None = None
    started: float = 0.0
    wall: float = 0.0
    cores: dict[str, float] | None = None
    kernel: float = 0.0

    def start(self) -> None:
        self.before = {pid: (name, cpu_seconds(pid)) for pid, name in processes().items()}
        self.machine_before = machine_times()
        self.started = time.monotonic()

    def stop(self) -> dict[str, float]:
        """Cores used, 1.0 being one core busy all along: the machine's busy time (steal left
        out), the kernel's interrupt handling and the hypervisor's steal, then each process group,
        busiest first. ``others`` is the rest of the busy time: processes that are not the
        platform's, the load generator or the profiler (other test suites, kernel threads), and
        processes that ended before :meth:`stop` read them.

        Where the kernel accounts interrupt time apart (``CONFIG_IRQ_TIME_ACCOUNTING``), ``kernel``
        is charged to no process. Where it only samples each tick (as the 2-core VM this was written
        on does; the results say which, ``machine.irq_time_accounted_apart``), a tick that lands in an
        interrupt counts both as ``kernel`` and in the system time of the process it interrupted:
        ``kernel`` then overlaps the processes' figures, and ``others`` (never below 0) may read
        low by as much."""
        assert self.before is not None and self.machine_before is not None, "start() first"
        wall = self.wall = time.monotonic() - self.started
        after = machine_times()
        busy = (after.busy - self.machine_before.busy) / wall
        kernel = self.kernel = (after.kernel - self.machine_before.kernel) / wall
        steal = (after.steal - self.machine_before.steal) / wall
        used: dict[str, float] = {}
        for pid, name in processes().items():
            if name != "others":
                start = self.before.get(pid, (name, 0.0))[1]
                used[name] = used.get(name, 0.0) + max(0.0, cpu_seconds(pid) - start) / wall
        cores = {name: round(value, 2) for name, value in used.items() if value >= 0.01}
        cores["others"] = round(max(0.0, busy - kernel - sum(used.values())), 2)
        ordered = dict(sorted(cores.items(), key=lambda item: -item[1]))
        self.cores = {name: value for name, value in used.items() if name not in NOT_PLATFORM}
        return {MACHINE_BUSY: round(busy, 2), KERNEL: round(kernel, 2), STEAL: round(steal, 2), **ordered}

    def ms_per(self, count: int) -> dict[str, float]:
        """CPU milliseconds spent per unit of work (a scan, a held order), by process, in total for
        the platform (``platform``) and, apart, for the providers' emulators (``emulators``): what
        a unit costs, whatever else the machine was doing meanwhile. The kernel's interrupt
        handling per unit is shown too (``kernel (irq, softirq)``) but not in ``platform``: it
        is the machine's, not any one process's, and may already be inside the processes' system
        time (:meth:`stop`)."""
        assert self.cores is not None, "stop() first"
        if count <= 0:
            return {}
        per = {name: cores * self.wall * 1000 / count for name, cores in self.cores.items()}
        shown = {
            name: round(value, 2) for name, value in sorted(per.items(), key=lambda i: -i[1]) if value >= 0.01
        }
        emulators = sum(value for name, value in per.items() if name in EMULATORS)
        return {
            "platform": round(sum(per.values()) - emulators, 2),
            "emulators": round(emulators, 2),
            KERNEL: round(self.kernel * self.wall * 1000 / count, 2),
            **shown,
        }


class CpuTimeline:
    """The platform's CPU seconds, sampled every ``every`` seconds while it runs, so that a part of
    a scenario can be read apart (:meth:`between`): the on-sale's holds, before it sold out.

    The load generator, the profiler, the emulators and other processes are left out, as in
    :meth:`CpuMeter.ms_per`'s ``platform``. Processes are named once and again only when a new
    one appears, so a sample reads little more than each platform process's ``stat``. A process
    that starts midway (a new PostgreSQL backend) counts from its start; one that ends keeps what
    it had spent at the last sample before, and what it spent after that is missed, as
    :class:`CpuMeter` misses a process gone before it stops (``cpu_sampled_share`` in the on-sale's
    results compares the two)."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.samples: list[tuple[float, float]] = []
        self._names: dict[int, str] = {}
        self._last: dict[int, float] = {}
        self._spent = 0.0
        self._task: asyncio.Task[None] | None = None

    def _platform_pids(self) -> list[int]:
        alive = alive_pids()
        if not alive <= self._names.keys():
            self._names = processes()
        return [pid for pid in alive if self._names.get(pid, "others") not in NOT_PLATFORM_NOR_EMULATORS]

    def sample(self) -> None:
        first = not self.samples
        before = time.perf_counter()
        for pid in self._platform_pids():
            cpu = cpu_seconds(pid)
            if not first:
                self._spent += max(0.0, cpu - self._last.get(pid, 0.0))
            self._last[pid] = cpu
        # Stamped halfway through the reads.
        self.samples.append(((before + time.perf_counter()) / 2, self._spent))

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            self.sample()

    def start(self) -> None:
        self.sample()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.sample()

    def at(self, instant: float) -> float:
        """CPU seconds spent by ``instant`` (``time.perf_counter``), interpolated between samples."""
        times = [t for t, _ in self.samples]
        i = bisect.bisect_left(times, instant)
        if i == 0:
            return self.samples[0][1]
        if i == len(self.samples):
            return self.samples[-1][1]
        (t0, s0), (t1, s1) = self.samples[i - 1], self.samples[i]
        return s0 + (s1 - s0) * (instant - t0) / (t1 - t0)

    def between(self, start: float, end: float) -> float:
        return self.at(end) - self.at(start)

    @property
    def spent(self) -> float:
        """CPU seconds from the first sample to the last."""
        return self._spent

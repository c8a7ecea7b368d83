"""``python -m crowdify_bench [--quick] [--only onsale,door] [--name NAME]`` (``make bench``).

Runs the baselines and every scenario against the running platform (``make start``), prints a
table and writes ``bench/results/<date>-<name>.json``; profiles of the two rushes go to
``bench/profiles/<date>-<name>/``. The exit status says whether every scenario ran and nothing
was oversold or admitted twice; it never depends on how fast anything was.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform as host
import subprocess
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import uvloop

from crowdify_bench.baselines import db_client_overhead, pg_hot_row, rabbit_round_trip
from crowdify_bench.connections import with_connection_peak
from crowdify_bench.documents import email_latency, pdf_pages
from crowdify_bench.door import door_rush, offline_sync, profiled_step
from crowdify_bench.door_seed import remove_seeded
from crowdify_bench.drain import until_emails_sent
from crowdify_bench.edge import run_edge
from crowdify_bench.incidents import Incidents
from crowdify_bench.inventory import inventory_step
from crowdify_bench.onsale import onsale_rush
from crowdify_bench.onsale_open import onsale_open
from crowdify_bench.platform import Platform
from crowdify_bench.procs import irq_time_accounted_apart
from crowdify_bench.profile import Profiler
from crowdify_bench.report import add_ratios, check_targets, table
from crowdify_bench.settings import BenchSettings
from crowdify_bench.sizes import FULL, QUICK, Sizes

SCENARIOS = ("baselines", "edge", "onsale", "inventory", "door", "sync", "documents")
ROOT = Path(__file__).resolve().parents[3]


def say(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


async def _machine(settings: BenchSettings) -> dict[str, Any]:
    conn = await asyncpg.connect(settings.postgres_admin_dsn)
    try:
        postgres = await conn.fetchval("SHOW server_version")
        synchronous_commit = await conn.fetchval("SHOW synchronous_commit")
    finally:
        await conn.close()
    nginx = await asyncio.create_subprocess_exec(
        "nginx", "-v", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, version = await nginx.communicate()
    return {
        "cpus": os.cpu_count(),
        "python": host.python_version(),
        "postgres": postgres,
        "postgres_synchronous_commit": synchronous_commit,
        "nginx": version.decode().strip().removeprefix("nginx version: "),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        # Whether "kernel (irq, softirq)" in cpu_cores is charged to no process (procs.CpuMeter).
        "irq_time_accounted_apart": irq_time_accounted_apart(),
    }


def _git_commit() -> str | None:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    return done.stdout.strip() or None


def _free_name(base: str, results: Path, profiles: Path) -> str:
    """``base``, or ``base-2``, ``base-3``...: a run never overwrites another (runs of one day
    share a date, and the ones the docs quote are committed)."""
    name, n = base, 1
    while (results / f"{name}.json").exists() or (profiles / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _uncommitted() -> list[str]:
    """Files changed in the checkout (the platform runs them as they are), bench's own aside."""
    done = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT)
    paths = [line[3:] for line in done.stdout.splitlines()]
    return [p for p in paths if not p.startswith(("bench/results/", "bench/profiles/"))]


async def run(args: argparse.Namespace) -> int:
    sizes: Sizes = QUICK if args.quick else FULL
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    settings = BenchSettings()
    platform = Platform(settings)
    started = time.monotonic()
    stamp = datetime.now(UTC)
    name = _free_name(
        f"{stamp:%Y-%m-%d}-{args.name or ('quick' if args.quick else 'full')}",
        Path(args.results_dir),
        Path(args.profiles_dir),
    )
    profiles = Path(args.profiles_dir) / name
    results: dict[str, Any] = {
        "name": name,
        "started_at": stamp.isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "uncommitted_changes": _uncommitted(),
        "mode": "quick" if args.quick else "full",
        "sizes": asdict(sizes),
        "machine": await _machine(settings),
        "platform": await platform.ready(),
        "errors": {},
    }

    incidents = Incidents(settings.amqp_url)
    await incidents.start()

    async def step(key: str, what: str, work: Callable[[], Awaitable[Any]]) -> Any:
        say(what)
        began = time.monotonic()
        incidents.enter(key)
        try:
            value = await work()
        except Exception as error:
            results["errors"][key] = f"{type(error).__name__}: {error}"
            say(f"  {key} failed: {error}")
            traceback.print_exc(file=sys.stderr)
            return None
        finally:
            for incident in incidents.leave():
                say(f"  while it ran: {incident['what']}")
        say(f"  done in {time.monotonic() - began:.0f} s")
        return value

    async def until_nothing_to_send(key: str, what: str) -> None:
        """Wait until notification-svc has sent what is queued (drain.py); recorded as ``key``."""
        drained = await step(key, what, lambda: until_emails_sent(settings))
        if drained is not None:
            results[key] = drained
            say(
                f"  {drained['emails_sent']:,} emails sent in {drained['seconds']:.0f} s "
                f"({drained['emails_to_send_at_start']:,} to send and "
                f"{drained['messages_queued_at_start']:,} messages queued when the wait began; "
                f"{drained['left_pending']:,} left waiting for a retry)"
            )

    # Nothing measured while notification-svc still sends what an earlier run (or anything else)
    # queued: a release of holds queues an email per held order, and sending thousands of them
    # took about 0.8 ms of platform CPU per held order from an on-sale measured meanwhile.
    await until_nothing_to_send(
        "emails_before_run", "waiting until notification-svc has nothing left to send before measuring"
    )
    if "baselines" in only:
        results["baselines"] = {
            "postgres_hot_row": await step(
                "postgres_hot_row",
                "baseline: PostgreSQL hot-row UPDATE",
                lambda: pg_hot_row(settings.postgres_admin_dsn, sizes.baseline_seconds),
            ),
            "database_client": await step(
                "database_client",
                "baseline: database client CPU per round trip",
                lambda: db_client_overhead(settings.postgres_admin_dsn),
            ),
            "rabbitmq_round_trip": await step(
                "rabbitmq_round_trip",
                "baseline: RabbitMQ round trips",
                lambda: rabbit_round_trip(
                    settings.amqp_url, settings.amqp_queue_type, sizes.baseline_seconds
                ),
            ),
        }
    if "edge" in only:
        edge = sizes.edge
        results["edge"] = await step(
            "edge",
            "edge: nginx plain proxy vs JWT verification (wrk)",
            lambda: asyncio.to_thread(
                run_edge,
                duration=edge["duration"],
                runs=int(edge["runs"]),
                connections=int(edge["connections"]),
                rotation=int(edge["rotation"]),
            ),
        )
    if "onsale" in only:
        opened = {**sizes.onsale_open, **({"rate_per_s": args.onsale_rate} if args.onsale_rate else {})}
        results["onsale_open"] = await step(
            "onsale_open",
            f"on-sale, open loop: {opened['rate_per_s']:,.0f} buyers/s offered, "
            f"{opened['rounds']:.0f} rounds of {opened['seconds']:.0f} s "
            f"after a {opened['warm_up_seconds']:.0f} s warm-up, {args.onsale_tokens} tokens",
            lambda: onsale_open(
                platform,
                rate_per_s=opened["rate_per_s"],
                seconds=opened["seconds"],
                warm_up_seconds=opened["warm_up_seconds"],
                rounds=int(opened["rounds"]),
                buyer_tokens=args.onsale_tokens,
            ),
        )
        results["onsale_rush"] = await step(
            "onsale_rush", "on-sale rush, closed loop", lambda: onsale_rush(platform, **sizes.onsale)
        )
        results["onsale_rush_fewer_buyers"] = await step(
            "onsale_rush_fewer_buyers",
            f"on-sale rush with {sizes.onsale_fewer_buyers['buyers']} buyers at once",
            lambda: onsale_rush(platform, **sizes.onsale_fewer_buyers),
        )
        if not args.no_profiles:
            results.setdefault("profiles", {})["onsale_rush"] = await step(
                "onsale_profile",
                "on-sale rush again, profiled",
                lambda: _profiled(
                    profiles / "onsale",
                    ["purchase-api", "purchase-worker", "event-worker", "gateway-auth"],
                    lambda: onsale_rush(platform, **sizes.onsale_profile),
                ),
            )
    if "inventory" in only:
        results["inventory_step"] = await step(
            "inventory_step",
            "inventory step alone, orders waiting",
            lambda: inventory_step(platform, **sizes.inventory, arrival="backlog"),
        )
        results["inventory_step_streamed"] = await step(
            "inventory_step_streamed",
            "inventory step alone, orders published while it runs",
            lambda: inventory_step(platform, **sizes.inventory, arrival="streamed"),
        )
    if "door" in only:
        door = await step(
            "door_rush",
            f"door rush: {', '.join(f'{r:,.0f}' for r in sizes.door_rates)} scans/s offered, "
            f"events of {', '.join(f'{s:,}' for s in sizes.door_sizes)} tickets",
            lambda: door_rush(
                platform,
                curve_rates=sizes.door_rates,
                step_seconds=sizes.door_step_seconds,
                rounds=sizes.door_rounds,
                flat_rounds=sizes.door_flat_rounds,
                devices=sizes.door_devices,
                flat_sizes=sizes.door_sizes,
                warm_up_seconds=sizes.door_warm_up_seconds,
                extra_scans=round(sizes.door_profile_rate * sizes.door_profile_seconds) + 10,
            ),
        )
        if door is not None:
            results["door_rush"], last = door
            if not args.no_profiles:
                results.setdefault("profiles", {})["door_rush"] = await step(
                    "door_profile",
                    f"door rush again at {sizes.door_profile_rate:,.0f} scans/s, profiled",
                    lambda: _profiled(
                        profiles / "door",
                        ["validation-api", "gateway-auth"],
                        lambda: profiled_step(
                            platform, last, sizes.door_profile_rate, sizes.door_profile_seconds
                        ),
                    ),
                )
    if "sync" in only:
        results["offline_sync"] = await step(
            "offline_sync",
            f"offline sync: one device uploads {sizes.sync_scans:,} scans in one request",
            lambda: offline_sync(platform, scans=sizes.sync_scans),
        )
    if "documents" in only:
        results["documents"] = {
            "pdf": await step("pdf", "documents: PDF pages", lambda: pdf_pages(quick=args.quick)),
            "email": await step(
                "email",
                "documents: payment approved to email",
                lambda: email_latency(platform, orders=sizes.email_orders),
            ),
        }

    # Not a scenario: the platform is left with no seat held by the run. How long it took and how
    # many connections PostgreSQL had at most are recorded (a cancellation touches every service).
    released_at = time.monotonic()
    released = await step(
        "release_holds",
        "cancelling the run's events that still hold seats",
        lambda: with_connection_peak(settings.postgres_admin_dsn, platform.release_holds),
    )
    if released is not None:
        results["events_cancelled_to_release_holds"], connections = released
        results["release_holds"] = {
            "seconds": round(time.monotonic() - released_at, 1),
            "postgres_client_connections": connections,
        }
    # Then until notification-svc has sent the cancellation emails the release queued (and
    # anything else pending), so the next user of the database does not wait behind them. It
    # runs even if the release failed: whatever it did cancel still has its emails queued.
    await until_nothing_to_send(
        "emails_after_release", "waiting until notification-svc has sent the emails the release queued"
    )
    if platform.seeded_door_events:
        removed = await step(
            "door_tickets_removed",
            "removing the tickets the run seeded for its door events",
            lambda: remove_seeded(platform),
        )
        if removed is not None:
            results["door_tickets_removed"] = removed
            counts = f"{removed['tickets']:,} tickets and {removed['scans']:,} scans"
            say(f"  {counts} of {removed['events']} events")
    await incidents.close()
    results["incidents"] = incidents.seen
    add_ratios(results)
    results["targets"] = check_targets(results)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["duration_s"] = round(time.monotonic() - started, 1)
    out = Path(args.results_dir) / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(
        f"\n{results['duration_s']:.0f} s; figures in {out}"
        + (f", profiles in {profiles}" if profiles.exists() else "")
    )
    broken = [t for t in results["targets"] if t["correctness"] and t["met"] is False]
    if results["errors"] or broken:
        print(
            f"errors: {results['errors']}; correctness failures: {[t['figure'] for t in broken]}",
            file=sys.stderr,
        )
        return 1
    return 0


async def _profiled(
    directory: Path, processes: list[str], work: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    async with Profiler(directory, processes) as profiler:
        figures = await work()
    return {"figures": figures, "processes": profiler.summaries, "directory": str(directory)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crowdify_bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, about two minutes")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    parser.add_argument("--name", help="suffix of the results file (default: full or quick)")
    parser.add_argument("--results-dir", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--profiles-dir", default=str(ROOT / "bench" / "profiles"))
    parser.add_argument("--no-profiles", action="store_true")
    parser.add_argument(
        "--onsale-rate",
        type=float,
        help="buyers per second the open-loop on-sale offers (default: the size's)",
    )
    parser.add_argument(
        "--onsale-tokens",
        choices=("backend", "supabase"),
        default="backend",
        help="the open-loop on-sale's buyers carry backend HS256 tokens, or Supabase Auth's ES256 ones",
    )
    args = parser.parse_args(argv)
    return uvloop.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())

"""The door rush: scans offered at a fixed rate through the gateway (open loop), as a venue's door.

Every scan is sent at its scheduled instant whether or not earlier ones have been answered (an
open loop, as people arrive: ``load.send_open_loop``), and its latency is counted from that
instant: when the platform falls behind, the queue shows in the latency instead of slowing the
load down. Each step offers
one rate for a few seconds to fresh tickets, a share of them (``duplicates``) scanned twice at
the same instant from two devices, exactly one of which may be admitted. All devices of a rush
present one client address, as the phones of a venue behind its NAT: no answer may be a 429.

- ``curve``: the rates of ``curve_rates`` on the largest event, ``rounds`` times (rates
  interleaved, so drift on a shared machine spreads over all of them); per rate the median of
  the rounds: completed scans/s, p50, p99 and CPU per scan. A round stops at the first rate it
  cannot keep up with (saturation): higher rates would only grow the queue.
- ``flatness``: one rate on events of every size in ``flat_sizes``, the sizes interleaved within
  each round; a scan's cost is the platform's CPU per scan, which should not change with the
  event (the registry is one table, so its total size is reported too). The growth from the
  smallest to the largest is read within each round and the median of the rounds reported.

Before the clock starts every device scans one real ticket (the statements are prepared on the
pool connections and the edge's verdict cache is warm); the curve starts after an unmeasured
step at 500 scans/s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from crowdify_bench.door_seed import DoorEvent, prepare, registry_rows
from crowdify_bench.load import Tally, bearer, call
from crowdify_bench.open_loop_sender import OpenLoopSender
from crowdify_bench.platform import Platform
from crowdify_bench.procs import KERNEL, STEAL, CpuMeter
from crowdify_bench.stats import latency_summary, median_of, p99_by_second, rate

# The one public address of the venue (RFC 2544's benchmark range; only ever a header).
VENUE_ADDRESS = "198.18.0.1"
# A step that completes less than this share of what it offered has saturated the platform.
SATURATED = 0.8
SCAN = "/api/v1/validation/scan"


def _body(door: DoorEvent, code: str, gate: int) -> dict[str, Any]:
    # A scan_id of its own, as the scanner app sends with every scan (a retry reuses it).
    return {
        "qr_payload": code,
        "event_id": door.event_id,
        "gate": f"puerta-{gate % 16}",
        "direction": "in",
        "scan_id": str(uuid.uuid4()),
    }


def _headers(token: str) -> dict[str, str]:
    return {**bearer(token, VENUE_ADDRESS), "Content-Type": "application/json"}


async def open_loop(
    sender: OpenLoopSender, door: DoorEvent, offered: float, seconds: float, duplicates: float = 0.02
) -> dict[str, Any]:
    """Offer ``offered`` scans/s for ``seconds`` to fresh tickets of ``door``."""
    count = max(1, round(offered * seconds))
    pairs = round(count * duplicates / 2)
    codes = door.take(count - pairs)
    # The first ``pairs`` codes are sent twice at one instant, the rest once.
    sends = [code for code in codes[:pairs] for _ in (0, 1)] + codes[pairs:]
    # The two scans of a pair share one instant.
    offsets = [(n // 2 * 2 if n < 2 * pairs else n) / offered for n in range(count)]
    requests = [
        (at, _headers(door.tokens[n % len(door.tokens)]), json.dumps(_body(door, sends[n], n)))
        for n, at in enumerate(offsets)
    ]
    await sender.prepare("POST", SCAN, requests)
    meter = CpuMeter()
    meter.start()
    began, sent = await sender.go()
    cores = meter.stop()
    answers = list(zip(sends, sent, strict=True))
    ended = max(a.ended for _, a in answers)

    results = Tally()
    admissions: Counter[str] = Counter()
    for code, answer in answers:
        result = answer.body.get("result") if answer.status == 200 and isinstance(answer.body, dict) else None
        results.add(result or (f"http_{answer.status}" if answer.status else f"error_{answer.error}"))
        if result == "admitted":
            admissions[code] += 1
    return {
        "offered_per_s": offered,
        "scans": len(answers),
        "seconds": round(ended - began, 2),
        "completed_per_s": rate(len(answers), ended - began),
        "latency": latency_summary([a.seconds for _, a in answers]),
        "p99_ms_by_second": p99_by_second([a for _, a in answers], began),
        "generator_late": latency_summary([a.late_by for _, a in answers]),
        "results": results.counts,
        "rate_limited": results.get("http_429"),
        "double_admissions": sum(1 for n in admissions.values() if n > 1),
        "scanned_but_not_admitted": sum(1 for code in set(codes) if admissions[code] == 0),
        "cpu_cores": cores,
        "load_generator_cores": cores.get("load generator", 0.0),
        "cpu_ms_per_scan": meter.ms_per(len(answers)),
    }


async def warm_up(http: aiohttp.ClientSession, door: DoorEvent) -> None:
    """Every device scans one real ticket: the database is touched on every pool connection and
    the edge has a verdict for every token before the clock starts."""
    gate = asyncio.Semaphore(32)

    async def first(n: int, token: str, code: str) -> None:
        async with gate:
            answer = await call(
                http, "POST", SCAN, json=_body(door, code, n), headers=bearer(token, VENUE_ADDRESS)
            )
        if answer.status != 200 or answer.body.get("result") != "admitted":
            raise RuntimeError(f"warm-up scan answered {answer.status}: {str(answer.body)[:200]}")

    codes = door.take(len(door.tokens))
    await asyncio.gather(*(first(n, t, c) for n, (t, c) in enumerate(zip(door.tokens, codes, strict=True))))


def summarize(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of the rounds of one offered rate."""
    return {
        "rounds": len(steps),
        "completed_per_s": median_of(steps, "completed_per_s"),
        "p50_ms": median_of(steps, "latency", "p50_ms"),
        "p99_ms": median_of(steps, "latency", "p99_ms"),
        "cpu_ms_per_scan": median_of(steps, "cpu_ms_per_scan", "platform"),
        "validation_api_ms_per_scan": median_of(steps, "cpu_ms_per_scan", "validation-api"),
        "load_generator_cores": median_of(steps, "load_generator_cores"),
        "others_cores": median_of(steps, "cpu_cores", "others"),
        "kernel_cores": median_of(steps, "cpu_cores", KERNEL),
        "steal_cores": median_of(steps, "cpu_cores", STEAL),
        "rate_limited": sum(int(s["rate_limited"]) for s in steps),
        "double_admissions": sum(int(s["double_admissions"]) for s in steps),
    }


async def door_rush(
    platform: Platform,
    *,
    curve_rates: tuple[float, ...] = (100, 250, 500, 1000, 1500, 2000, 3000),
    step_seconds: float = 6,
    rounds: int = 3,
    devices: int = 256,
    flat_sizes: tuple[int, ...] = (1000, 100000, 1000000),
    # 900 fresh scans fit an event of 1,000 tickets. Offered at 450/s, the platform's idle work
    # (timers and polls of every process, about 0.15 of a core) adds a third of a millisecond to
    # each scan's cost rather than three quarters at 200/s, so it blurs the size's effect less.
    flat_rate: float = 450,
    flat_scans: int = 900,
    # 450/s over 32 devices is 14 scans/s each, under the edge's limit per device (20/s).
    flat_devices: int = 32,
    # Rounds of the sizes: a 2-second step's cost per scan varies by up to a fifth from one step
    # to the next with the same event (2026-12-04-door-flat-by-round), and the change from the
    # smallest to the largest is the median of the rounds' changes.
    flat_rounds: int = 5,
    warm_up_seconds: float = 3,
    duplicates: float = 0.02,
    connections: int = 256,
    extra_scans: int = 0,
) -> tuple[dict[str, Any], DoorEvent]:
    """The curve and the flatness figures, and the largest event (with codes left) for a
    profiled step."""
    largest = max(flat_sizes)
    curve_scans = round(sum(curve_rates) * step_seconds * rounds + warm_up_seconds * 500) + 10 + extra_scans
    flatness: dict[str, Any] = {}
    doors: dict[int, list[DoorEvent]] = {}
    async with (
        platform.http(connections=32, timeout=30) as http,
        OpenLoopSender(platform.settings.gateway_url, connections) as sender,
    ):
        for size in flat_sizes:
            # Each round scans fresh tickets; events too small for every round get one each.
            at_size = devices if size == largest else flat_devices
            count = flat_rounds if size < (flat_scans + at_size) * flat_rounds else 1
            wanted = flat_scans * flat_rounds // count + at_size + (curve_scans if size == largest else 0)
            doors[size] = [await prepare(platform, size, at_size, sample=wanted) for _ in range(count)]
            for door in doors[size]:
                await warm_up(http, door)
        rows = await registry_rows(platform)
        # Sizes interleaved within each round, as the curve's rates: a host that drifts during
        # the minute this takes spreads its drift over every size instead of landing on one.
        by_size: dict[int, list[dict[str, Any]]] = {size: [] for size in flat_sizes}
        for n in range(flat_rounds):
            for size in flat_sizes:
                door = doors[size][n % len(doors[size])]
                by_size[size].append(
                    await open_loop(sender, door, flat_rate, flat_scans / flat_rate, duplicates)
                )
        for size, steps in by_size.items():
            flatness[str(size)] = {
                "events": len(doors[size]),
                "registry_rows": rows,
                "seed_seconds": round(doors[size][0].seed_seconds, 1),
                "median": summarize(steps),
                "steps": steps,
            }

        door = doors[largest][0]
        if warm_up_seconds > 0:
            await open_loop(sender, door, 500, warm_up_seconds, duplicates)  # unmeasured
        by_rate: dict[str, list[dict[str, Any]]] = {str(r): [] for r in curve_rates}
        for _ in range(rounds):
            for offered in curve_rates:
                step = await open_loop(sender, door, offered, step_seconds, duplicates)
                by_rate[str(offered)].append(step)
                await asyncio.sleep(1)  # let the queue of a saturated step drain
                if (step["completed_per_s"] or 0) < SATURATED * offered:
                    # Saturated: a higher rate would only queue longer (the rest of the round's
                    # rates are left out; the curve shows how many rounds reached each rate).
                    break
        attendance = await platform.attendance(http, door.event_id)

    curve = {
        offered: {"median": summarize(steps), "steps": steps} for offered, steps in by_rate.items() if steps
    }
    smallest = flatness[str(min(flat_sizes))]["median"]["cpu_ms_per_scan"]
    biggest = flatness[str(largest)]["median"]["cpu_ms_per_scan"]
    all_steps = [s for c in curve.values() for s in c["steps"]] + [
        s for f in flatness.values() for s in f["steps"]
    ]
    return {
        "devices": devices,
        "one_client_address": VENUE_ADDRESS,
        "curve": curve,
        "flatness": flatness,
        "double_admissions": sum(int(s["double_admissions"]) for s in all_steps),
        "rate_limited": sum(int(s["rate_limited"]) for s in all_steps),
        "scanned_but_not_admitted": sum(int(s["scanned_but_not_admitted"]) for s in all_steps),
        "attendance_admitted_largest": attendance["admitted"],
        "cost_growth_smallest_to_largest": _growth_by_round(flatness, min(flat_sizes), largest),
        # The same from the sizes' medians: a host that changes speed between rounds moves it.
        "cost_growth_of_the_medians": (
            round(biggest / smallest - 1, 3) if smallest and biggest is not None else None
        ),
    }, door


def _growth_by_round(flatness: dict[str, Any], smallest: int, largest: int) -> float | None:
    """The largest event's cost per scan over the smallest's, within each round (the sizes of a
    round are measured a few seconds apart), as the median of the rounds: a host that speeds up
    or slows down between rounds moves every size of a round alike."""
    pairs = zip(flatness[str(smallest)]["steps"], flatness[str(largest)]["steps"], strict=True)
    ratios = [
        big["cpu_ms_per_scan"]["platform"] / small["cpu_ms_per_scan"]["platform"] - 1
        for small, big in pairs
        if small["cpu_ms_per_scan"].get("platform") and big["cpu_ms_per_scan"].get("platform") is not None
    ]
    return round(statistics.median(ratios), 3) if ratios else None


async def profiled_step(
    platform: Platform, door: DoorEvent, offered: float, seconds: float, connections: int = 256
) -> dict[str, Any]:
    """One more step on ``door`` (for a profiler running meanwhile)."""
    async with OpenLoopSender(platform.settings.gateway_url, connections) as sender:
        return await open_loop(sender, door, offered, seconds)


async def offline_sync(platform: Platform, *, size: int = 20000, scans: int = 5000) -> dict[str, Any]:
    """One device uploads ``scans`` scans it made offline in one request (validation-svc decides
    them in chunks, one statement each), then sends the same upload again (stored answers)."""
    door = await prepare(platform, size, devices=1, sample=scans)
    made = datetime.now(UTC) - timedelta(minutes=30)
    body = {
        "device_id": "bench-phone",
        "event_id": door.event_id,
        "scans": [
            {
                "scan_id": f"offline-{n}",
                "qr_payload": code,
                "gate": "norte",
                "scanned_at": (made + timedelta(milliseconds=100 * n)).isoformat(),
                "local_result": "admitted",
            }
            for n, code in enumerate(door.take(scans))
        ],
    }
    headers = bearer(door.tokens[0], VENUE_ADDRESS)
    async with platform.http(2, timeout=300) as http:
        meter = CpuMeter()
        meter.start()
        first = await call(http, "POST", "/api/v1/validation/sync", json=body, headers=headers)
        cores = meter.stop()
        again = await call(http, "POST", "/api/v1/validation/sync", json=body, headers=headers)
    if first.status != 200:
        raise RuntimeError(f"the upload answered {first.status}: {str(first.body)[:300]}")
    results = Tally()
    for answer in first.body["results"]:
        results.add(str(answer["result"]))
    return {
        "scans": scans,
        "request_bytes": len(json.dumps(body)),
        "seconds": round(first.seconds, 2),
        "scans_per_s": rate(scans, first.seconds),
        "results": results.counts,
        "cpu_cores": cores,
        "cpu_ms_per_scan": meter.ms_per(scans),
        "resent_seconds": round(again.seconds, 2),
        "resent_same_answers": again.status == 200 and again.body == first.body,
    }

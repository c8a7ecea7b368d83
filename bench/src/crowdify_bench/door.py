"""The door rush: many scanners at once through the gateway, on events of growing size.

For each size an event is created through the gateway and its tickets are seeded the way
validation-svc learns them in production, as ``purchase.tickets.issued.v1`` messages with signed
codes, but published straight into validation-svc's queue (the default exchange) in batches of
``batch`` tickets: the PDF and email services must not render and mail a hundred thousand
made-up tickets. Door devices are registered through the gateway (each its own scanner token, as
real ones), and every scanner token is used once with an unreadable code before the clock starts,
which warms the edge's verdict cache and the connections without touching the database.

Then ``scanners`` clients scan distinct tickets picked at random, using the devices round robin
(``devices`` of them, so no device passes the gateway's per-device rate limit: the limit is
there to stop a runaway device, and this measures the service behind it). A share of the tickets
(``duplicates``) is scanned twice at the same instant from two devices and gates: exactly one of
the two may be admitted. Double admissions are counted from the answers and checked against the
attendance stats.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aiohttp

from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.wire import envelope_message
from crowdify.testing import wait_until
from crowdify.tickets import TicketClaims, TicketSigningSettings, sign_ticket
from crowdify_bench.load import Addresses, Answer, Tally, bearer, call
from crowdify_bench.platform import Platform
from crowdify_bench.procs import CpuMeter
from crowdify_bench.stats import latency_summary, rate


@dataclass
class DoorEvent:
    event_id: str
    codes: list[str]
    tokens: list[str]
    seed_seconds: float
    unscanned: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.codes)


async def seed_tickets(
    platform: Platform, event_id: str, type_id: str, size: int, batch: int = 1000, window: int = 8
) -> list[str]:
    """Sign ``size`` ticket codes and publish them to validation-svc's registry queue."""
    key = TicketSigningSettings().ticket_signing_key
    event, kind, now = uuid.UUID(event_id), uuid.UUID(type_id), datetime.now(UTC)
    codes: list[str] = []
    envelopes: list[Envelope] = []
    for start in range(0, size, batch):
        issued = []
        for n in range(start, min(start + batch, size)):
            ticket_id = uuid.uuid4()
            code = sign_ticket(TicketClaims(ticket_id, event, kind, now), key)
            codes.append(code)
            issued.append(
                IssuedTicket(
                    id=ticket_id,
                    ticket_type_id=kind,
                    ticket_type="General",
                    holder_name=f"Asistente {n}",
                    qr_payload=code,
                )
            )
        message = TicketsIssuedV1(
            order_id=uuid.uuid4(),
            event_id=event,
            buyer_email=f"door.{platform.run_id}@bench.example.com",
            buyer_name="Bench",
            tickets=tuple(issued),
            issued_at=now,
        )
        envelopes.append(Envelope.wrap(message, correlation_id=f"bench-{platform.run_id}"))
    connection = await aio_pika.connect_robust(platform.settings.amqp_url)
    try:
        # A missing queue (its worker never started) must fail the seeding, not drop it silently.
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        gate = asyncio.Semaphore(window)

        async def publish(envelope: Envelope) -> None:
            async with gate:
                await channel.default_exchange.publish(
                    envelope_message(envelope),
                    routing_key=platform.settings.registry_queue,
                    mandatory=True,
                    timeout=60,
                )

        await asyncio.gather(*(publish(e) for e in envelopes))
    finally:
        await connection.close()
    return codes


async def prepare(platform: Platform, size: int, devices: int, batch: int = 1000) -> DoorEvent:
    async with platform.http(16) as http:
        event_id, type_id = await platform.create_event(http, f"door {size}", size)
        began = time.perf_counter()
        codes = await seed_tickets(platform, event_id, type_id, size, batch)

        async def registered() -> bool:
            return int((await platform.attendance(http, event_id))["issued"]) >= size

        await wait_until(
            registered, within=600, interval=0.5, message=f"validation-svc registered {size} tickets"
        )
        seeded = time.perf_counter() - began
        tokens = await platform.register_devices(http, event_id, devices)
    door = DoorEvent(event_id, codes, tokens, seeded, unscanned=list(range(size)))
    random.Random(size).shuffle(door.unscanned)
    return door


async def _warm_up(http: aiohttp.ClientSession, door: DoorEvent, addresses: Addresses) -> None:
    body = {"qr_payload": "bench-warm-up", "event_id": door.event_id, "direction": "in"}

    async def one(token: str) -> None:
        answer = await call(
            http, "POST", "/api/v1/validation/scan", json=body, headers=bearer(token, addresses.next())
        )
        if answer.status != 200 or answer.body.get("result") != "invalid":
            raise RuntimeError(f"warm-up scan answered {answer.status}: {str(answer.body)[:200]}")

    gate = asyncio.Semaphore(32)

    async def gated(token: str) -> None:
        async with gate:
            await one(token)

    await asyncio.gather(*(gated(t) for t in door.tokens))


async def scan_rush(
    platform: Platform,
    door: DoorEvent,
    count: int,
    scanners: int = 64,
    duplicates: float = 0.02,
    max_seconds: float = 45,
) -> dict[str, Any]:
    """Scan up to ``count`` not yet scanned tickets of ``door`` with ``scanners`` clients at once,
    for at most ``max_seconds``."""
    chosen = door.unscanned[:count]
    twice = set(chosen[: round(len(chosen) * duplicates)])
    taken: list[int] = []
    addresses = Addresses(count=4096)
    device_turn = itertools.count()
    answers: list[tuple[int, Answer]] = []

    async with platform.http(connections=scanners * 2 + 8, timeout=30) as http:
        await _warm_up(http, door, addresses)

        async def scan_once(index: int) -> None:
            turn = next(device_turn)
            body = {
                "qr_payload": door.codes[index],
                "event_id": door.event_id,
                "gate": f"puerta-{turn % 16}",
                "direction": "in",
            }
            headers = bearer(door.tokens[turn % len(door.tokens)], addresses.next())
            answers.append(
                (index, await call(http, "POST", "/api/v1/validation/scan", json=body, headers=headers))
            )

        async def scanner() -> None:
            while len(taken) < len(chosen) and time.perf_counter() < deadline:
                index = chosen[len(taken)]
                taken.append(index)
                if index in twice:  # the same ticket at two gates at the same instant
                    await asyncio.gather(scan_once(index), scan_once(index))
                else:
                    await scan_once(index)

        meter = CpuMeter()
        meter.start()
        deadline = time.perf_counter() + max_seconds
        await asyncio.gather(*(scanner() for _ in range(scanners)))
        cpu = meter.stop()
        attendance = await platform.attendance(http, door.event_id)
    door.unscanned = door.unscanned[len(taken) :]

    results = Tally()
    admissions: Counter[int] = Counter()
    for index, answer in answers:
        result = answer.body.get("result") if answer.status == 200 and isinstance(answer.body, dict) else None
        results.add(result or (f"http_{answer.status}" if answer.status else f"error_{answer.error}"))
        if result == "admitted":
            admissions[index] += 1
    began = min(a.started for _, a in answers)
    ended = max(a.ended for _, a in answers)
    return {
        "tickets": door.size,
        "tickets_scanned": len(taken),
        "stopped_by_time": len(taken) < len(chosen),
        "scans": len(answers),
        "scanners": scanners,
        "devices": len(door.tokens),
        "seconds": round(ended - began, 2),
        "scans_per_s": rate(len(answers), ended - began),
        "latency": latency_summary([a.seconds for _, a in answers]),
        "results": results.counts,
        "double_admissions": sum(1 for n in admissions.values() if n > 1),
        "scanned_but_not_admitted": sum(1 for index in set(taken) if admissions[index] == 0),
        "attendance_admitted": attendance["admitted"],
        "seed_seconds": round(door.seed_seconds, 1),
        "cpu_cores": cpu,
        "cpu_ms_per_scan": meter.ms_per(len(answers)),
    }


async def door_rush(
    platform: Platform,
    *,
    sizes: tuple[int, ...] = (1000, 20000, 100000),
    max_scans: int = 20000,
    scanners: int = 64,
    devices: int = 256,
    duplicates: float = 0.02,
    max_seconds: float = 45,
) -> tuple[dict[str, Any], DoorEvent]:
    """Figures per size, and the largest event (with its tickets not yet scanned) for a
    profiled pass."""
    by_size: dict[str, Any] = {}
    door: DoorEvent | None = None
    for size in sizes:
        door = await prepare(platform, size, devices)
        scans = min(size, max_scans)
        by_size[str(size)] = await scan_rush(platform, door, scans, scanners, duplicates, max_seconds)
    assert door is not None
    smallest, largest = by_size[str(sizes[0])], by_size[str(sizes[-1])]
    return {
        "by_size": by_size,
        "double_admissions": sum(f["double_admissions"] for f in by_size.values()),
        # A scan's cost is the platform's CPU per scan (the rate also moves with whatever else the
        # machine is doing); >0 means it grew with the event.
        "cost_growth_smallest_to_largest": round(
            largest["cpu_ms_per_scan"]["platform"] / smallest["cpu_ms_per_scan"]["platform"] - 1, 3
        ),
        "time_per_scan_growth_smallest_to_largest": round(
            smallest["scans_per_s"] / largest["scans_per_s"] - 1, 3
        ),
        "p50_growth_smallest_to_largest": round(
            largest["latency"]["p50_ms"] / smallest["latency"]["p50_ms"] - 1, 3
        ),
    }, door

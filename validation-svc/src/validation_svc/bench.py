"""Door-rush benchmark: ``python -m validation_svc.bench [--base-url URL] [--sizes 1000,20000,100000]``.

Against a running platform (``make start``; by default through the gateway): for each size it
publishes a fresh event and its tickets as ``purchase.tickets.issued.v1`` messages (signed with the
configured development key), waits until validation-svc has registered them all, then scans every
ticket once with ``--concurrency`` clients at once, and prints scans per second and p50/p99
latency. It prints figures; it never passes or fails on time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx

from crowdify.auth import issue_backend_token
from crowdify.contracts.catalog import EventPublishedV1
from crowdify.contracts.common import EventSnapshot, TicketTypeSnapshot
from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.tickets import TicketClaims, TicketSigningSettings, sign_ticket
from validation_svc.settings import ValidationSettings

BATCH = 200


async def seed(publisher: Publisher, size: int) -> tuple[uuid.UUID, list[str]]:
    key = TicketSigningSettings().ticket_signing_key
    event_id, type_id = uuid.uuid4(), uuid.uuid4()
    snapshot = EventSnapshot(
        id=event_id,
        name=f"Bench {size}",
        starts_at=datetime.now(UTC) + timedelta(hours=1),
        status="published",
        hold_minutes=10,
        ticket_types=(
            TicketTypeSnapshot(
                id=type_id, name="General", price=1000, currency="CLP", capacity=size, max_per_order=BATCH
            ),
        ),
    )
    await publisher.publish(Envelope.wrap(EventPublishedV1(event=snapshot), correlation_id="bench"))
    now = datetime.now(UTC)
    codes: list[str] = []
    for start in range(0, size, BATCH):
        issued = []
        for n in range(start, min(start + BATCH, size)):
            ticket_id = uuid.uuid4()
            code = sign_ticket(TicketClaims(ticket_id, event_id, type_id, now), key)
            codes.append(code)
            issued.append(
                IssuedTicket(
                    id=ticket_id,
                    ticket_type_id=type_id,
                    ticket_type="General",
                    holder_name=f"Bench {n}",
                    qr_payload=code,
                )
            )
        message = TicketsIssuedV1(
            order_id=uuid.uuid4(),
            event_id=event_id,
            buyer_email="bench@example.com",
            buyer_name="Bench",
            tickets=tuple(issued),
            issued_at=now,
        )
        await publisher.publish(Envelope.wrap(message, correlation_id="bench"))
    return event_id, codes


async def wait_registered(
    http: httpx.AsyncClient, admin: dict[str, str], event_id: uuid.UUID, size: int
) -> None:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        response = await http.get(f"/api/v1/validation/events/{event_id}/stats", headers=admin)
        if response.status_code == 200 and response.json()["issued"] >= size:
            return
        await asyncio.sleep(0.5)
    raise SystemExit(f"validation-svc did not register {size} tickets within 600 s")


async def rush(
    http: httpx.AsyncClient,
    scanner: dict[str, str],
    event_id: uuid.UUID,
    codes: Sequence[str],
    concurrency: int,
) -> tuple[float, list[float], dict[str, int]]:
    queue = list(codes)
    latencies: list[float] = []
    results: dict[str, int] = {}

    async def client(gate: int) -> None:
        while queue:
            code = queue.pop()
            started = time.perf_counter()
            response = await http.post(
                "/api/v1/validation/scan",
                json={"qr_payload": code, "event_id": str(event_id), "gate": f"gate-{gate % 8}"},
                headers=scanner,
            )
            latencies.append(time.perf_counter() - started)
            result = response.json().get("result", str(response.status_code))
            results[result] = results.get(result, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return time.perf_counter() - started, latencies, results


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://localhost:8000", help="gateway (or validation-svc) URL")
    parser.add_argument("--sizes", default="1000,20000,100000")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args(argv)
    settings = ValidationSettings()
    secret = settings.jwt_secret.get_secret_value()
    scanner = {"Authorization": f"Bearer {issue_backend_token(secret, subject='bench', role='scanner')}"}
    admin = {"Authorization": f"Bearer {issue_backend_token(secret, subject='bench', role='admin')}"}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    print(f"{'tickets':>8} {'scans/s':>9} {'p50 ms':>8} {'p99 ms':>8}  results")
    async with (
        Publisher(settings.amqp_url, settings.amqp_exchange) as publisher,
        httpx.AsyncClient(base_url=args.base_url, timeout=30, limits=limits) as http,
    ):
        for size in (int(s) for s in args.sizes.split(",")):
            event_id, codes = await seed(publisher, size)
            await wait_registered(http, admin, event_id, size)
            elapsed, latencies, results = await rush(http, scanner, event_id, codes, args.concurrency)
            print(
                f"{size:>8} {len(latencies) / elapsed:>9.0f} {statistics.median(latencies) * 1000:>8.1f}"
                f" {percentile(latencies, 0.99) * 1000:>8.1f}  {results}"
            )


if __name__ == "__main__":
    asyncio.run(main())

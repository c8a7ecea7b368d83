"""Door events for the rush: created through the gateway, their tickets seeded in the database.

A million tickets cannot go through the registry's messages in a benchmark's time (each is a
row the consumer inserts in its own transaction; 100,000 took 66 s). So the event is created
and published through the gateway as an organiser would (validation-svc learns it from
``catalog.event.published.v1``), and its tickets are written by one ``INSERT ... SELECT`` over
``generate_series`` as validation-svc's own role: the rows are those the registry consumer would
write, each with the digest of its code (validation-svc migration 0010). Only the tickets the rush
will scan get signed codes (a random sample, scattered over the table) and their real digests;
the others get random ones. Door devices are registered through the gateway, each with its own
scanner token.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from crowdify.db import asyncpg_dsn
from crowdify.tickets import TicketClaims, TicketSigningSettings, code_digest, sign_ticket
from crowdify_bench.platform import Platform

# $4, $5 and $6: the positions (in 1..$3), ids and code digests of the tickets the rush will
# scan, so those lie scattered over the table as in a real registry (rows are written in the
# order of n); every other ticket gets a random digest of the same size.
SEED = """
INSERT INTO validation.tickets
    (id, event_id, order_id, ticket_type_id, ticket_type, holder_name, serial, status, issued_at,
     code_digest)
SELECT coalesce(s.id, gen_random_uuid()), $1, gen_random_uuid(), $2, 'General', 'Asistente ' || n, 0,
    'valid', now(), coalesce(s.digest, decode(md5(random()::text), 'hex'))
FROM generate_series(1, $3) AS n
LEFT JOIN unnest($4::integer[], $5::uuid[], $6::bytea[]) AS s(position, id, digest) ON s.position = n
ORDER BY n
"""
REMOVE_SCANS = "DELETE FROM validation.scans WHERE event_id = ANY($1::uuid[])"
REMOVE_TICKETS = "DELETE FROM validation.tickets WHERE event_id = ANY($1::uuid[])"
# The deleted rows' space is taken back now, not left to autovacuum: a server that runs without it
# (this project's CI machine does) would otherwise carry every run's million dead tickets into
# the next, and the door's statements would walk indexes bloated by them.
VACUUM = "VACUUM validation.scans, validation.tickets, validation.admissions_due"


@dataclass
class DoorEvent:
    event_id: str
    size: int
    tokens: list[str]
    seed_seconds: float
    # Signed codes of tickets nobody has scanned yet, in random order.
    codes: list[str] = field(default_factory=list)

    def take(self, count: int) -> list[str]:
        if count > len(self.codes):
            raise RuntimeError(f"only {len(self.codes)} unscanned codes left, {count} wanted")
        taken, self.codes = self.codes[:count], self.codes[count:]
        return taken


def _dsn(platform: Platform) -> str:
    return asyncpg_dsn(platform.settings.validation_database_url)


async def remove_seeded(platform: Platform) -> dict[str, float]:
    """Delete the tickets (and their scans) the run seeded for its door events. Left behind,
    every full run added 1.1 million tickets that the next run's PostgreSQL worked against: over
    a day of runs the registry held 10 million (4.5 GB against 128 MB of shared buffers), and a
    scan cost the database 0.41-0.44 ms where it cost 0.37 on a new one (docs/performance.md).
    The events themselves and their devices stay (a few rows each). The tables are vacuumed after
    (``VACUUM``)."""
    events = [uuid.UUID(event_id) for event_id in platform.seeded_door_events]
    conn = await asyncpg.connect(_dsn(platform))
    try:
        scans = await conn.execute(REMOVE_SCANS, events)
        tickets = await conn.execute(REMOVE_TICKETS, events)
        began = time.perf_counter()
        await conn.execute(VACUUM)
        vacuumed = time.perf_counter() - began
    finally:
        await conn.close()
    platform.seeded_door_events.clear()
    # asyncpg answers with the command tag, "DELETE <rows>".
    return {
        "events": len(events),
        "tickets": int(tickets.split()[-1]),
        "scans": int(scans.split()[-1]),
        "vacuum_seconds": round(vacuumed, 1),
    }


async def registry_rows(platform: Platform) -> int:
    """How many tickets validation-svc's registry holds, all events together (one table)."""
    conn = await asyncpg.connect(_dsn(platform))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM validation.tickets"))
    finally:
        await conn.close()


async def prepare(platform: Platform, size: int, devices: int, sample: int | None = None) -> DoorEvent:
    """An event of ``size`` tickets, ``devices`` door devices, and signed codes for ``sample``
    of its tickets (all of them by default)."""
    wanted = min(size, sample or size)
    key = TicketSigningSettings().ticket_signing_key
    async with platform.http(16) as http:
        event_id, type_id = await platform.create_event(http, f"door {size}", size)
        event, kind, now = uuid.UUID(event_id), uuid.UUID(type_id), datetime.now(UTC)
        positions = random.sample(range(1, size + 1), wanted)
        ids = [uuid.uuid4() for _ in positions]
        codes = [sign_ticket(TicketClaims(ticket_id, event, kind, now), key) for ticket_id in ids]
        digest_key = platform.settings.code_digest_key.get_secret_value().encode()
        digests = [code_digest(code, digest_key) for code in codes]
        began = time.perf_counter()
        conn = await asyncpg.connect(_dsn(platform))
        try:
            await conn.execute(SEED, event, kind, size, positions, ids, digests)
            platform.seeded_door_events.append(event_id)
            await conn.execute("ANALYZE validation.tickets")
            seeded = time.perf_counter() - began
        finally:
            await conn.close()
        tokens = await platform.register_devices(http, event_id, devices)
    return DoorEvent(event_id, size, tokens, seeded, codes)

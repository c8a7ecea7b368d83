"""The door's statements on a raw asyncpg pool: one round trip per scan, no ORM on the path.

The SQL functions ``door_scan`` and ``door_sync`` (migration 0002) decide scans inside
PostgreSQL; here they are called as prepared statements (asyncpg prepares each query text once
per connection and reuses it). Their answers come back as JSON text, ready to send. An online
scan carries its code's digest (migration 0010, ADR 0024): for a code the registry did not issue
the statements answer :data:`UNKNOWN_CODE` and decide nothing, and the caller checks the code's
signature before sending the scan again without it.

Online scans go through a group-commit lane (ADR 0014): the scans that arrive while a batch is
being decided are decided together by ``door_scans`` (migration 0006), one round trip and one
commit for all of them. A revoked device's scan is left out of its batch, and a batch that fails
(a reused or concurrently repeated ``scan_id``) commits nothing; such scans are then decided
alone, with their own answer or error, exactly as without the lane. A batch waits at most half a
second for a lock (``LOCK_TIMEOUT``): one process decides one batch at a time, and a batch stuck
behind a long transaction would hold up every scan of the process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import asyncpg

from crowdify.db import asyncpg_dsn
from crowdify.errors import DEPENDENCY_DOWN, ProblemError
from crowdify.group_commit import GroupCommitLane


class DeviceRevoked(Exception):
    """The device token's device was revoked (or never registered)."""


class ScanIdReused(Exception):
    """A caller's ``scan_id`` came again naming another event, ticket or direction."""

    def __init__(self, scan_id: str) -> None:
        super().__init__(scan_id)
        self.scan_id = scan_id


_REVOKED = "CD401"
_REUSED = "CD409"
# A concurrent repeat of the scan_id was written first (migration 0004): the statement was undone
# and is run again, which reads the stored answer. Two tries settle it; the third is slack.
_WRITTEN_CONCURRENTLY = "CD40R"
_TRIES = 3
# Every door statement waits at most this long for a lock (the pool's lock_timeout): one process
# decides one batch at a time, and a batch stuck behind a long transaction (an event's tickets
# being revoked) would hold up every online scan of the process. A batch that times out has its
# scans decided alone, outside the lane, where a scan (and an offline chunk) simply tries again,
# up to _LOCK_TRIES times.
LOCK_TIMEOUT = "500ms"
_LOCK_NOT_AVAILABLE = "55P03"
_LOCK_TRIES = 60
# Every statement of the door pool finds its rows by a key (a scan by (scanner, scan_id), a
# ticket by id, a device by id), and none of them is worth a sequential scan at any size. But
# PostgreSQL plans them from the table statistics, and a function's plan is cached for the
# connection: a door pool whose first scans ran while `scans` was empty (a new deployment, or a
# table vacuumed or analyzed while empty) would read the whole scan log for every scan, each scan
# slower than the last, until the table is analyzed again (autovacuum does it after some fifty new
# rows; a server without autovacuum, never). Measured: 9.6 ms of platform CPU per
# scan and 263 scans/s at 500 offered, against 1.2 ms and over 2,000/s (docs/performance.md).
# Switching sequential scans off for the door's own sessions makes every plan take the index.
_SESSION = {"lock_timeout": LOCK_TIMEOUT, "enable_seqscan": "off"}
# The group-commit lane of online scans (its metrics are labelled with this name).
LANE = "door-scans"
# What door_scan and door_scans answer, instead of a verdict, for a scan whose code digest is not
# its ticket's (migration 0010): nothing was decided or written; check the code's signature.
UNKNOWN_CODE = "unknown_code"

T = TypeVar("T")


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Nothing to reset between uses: these statements leave no session state behind, and
    asyncpg's default reset would cost a round trip on every release."""


@dataclass(frozen=True)
class OnlineScan:
    """The arguments of one ``door_scan`` call, in its order."""

    scanner: str
    device: uuid.UUID | None
    scan_id: str
    event_id: uuid.UUID
    ticket_id: uuid.UUID
    code_event_id: uuid.UUID
    serial: int
    gate: str | None
    device_label: str | None
    direction: str
    # The scanned code's digest, for a code read without its signature checked; None once the
    # signature has been checked.
    code_digest: bytes | None


def _arguments(scan: OnlineScan) -> tuple[object, ...]:
    return (
        scan.scanner,
        scan.device,
        scan.scan_id,
        scan.event_id,
        scan.ticket_id,
        scan.code_event_id,
        scan.serial,
        scan.gate,
        scan.device_label,
        scan.direction,
        scan.code_digest,
    )


@dataclass(frozen=True)
class OfflineChunk:
    """Parallel arrays of a chunk of offline scans, in the order they were made."""

    scan_ids: list[str]
    ticket_ids: list[uuid.UUID | None]
    code_event_ids: list[uuid.UUID | None]
    serials: list[int | None]
    gates: list[str | None]
    directions: list[str]
    scanned_ats: list[datetime]
    local_results: list[str | None]


async def _settled(statement: Callable[[], Awaitable[T]]) -> T:
    """``statement``'s result, run again if a concurrent repeat of a scan_id was written first,
    or if a lock it needed stayed taken past the lock timeout (it waits again)."""
    written_again = locked_out = 0
    while True:
        try:
            return await statement()
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == _WRITTEN_CONCURRENTLY and (written_again := written_again + 1) < _TRIES:
                continue
            if exc.sqlstate == _LOCK_NOT_AVAILABLE and (locked_out := locked_out + 1) < _LOCK_TRIES:
                continue
            raise


class DoorStatements:
    def __init__(self, pool: asyncpg.Pool, schema: str, batch_max: int = 1) -> None:
        """``batch_max``: the most online scans decided in one transaction (1: each alone)."""
        self.pool = pool
        self._scan = f'SELECT "{schema}".door_scan($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)'
        self._scans = f'SELECT "{schema}".door_scans($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)'
        self._lane: GroupCommitLane[OnlineScan, str | None] | None = None
        if batch_max > 1:
            self._lane = GroupCommitLane(LANE, self._decide_together, max_batch=batch_max)
        self._sync = f'SELECT "{schema}".door_sync($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)'
        self._known = f"""
            SELECT c.ticket_id, c.digest
            FROM unnest($1::uuid[], $2::bytea[]) AS c(ticket_id, digest)
            JOIN "{schema}".tickets t ON t.id = c.ticket_id AND t.code_digest = c.digest
        """
        self._reused = f"""
            SELECT b.scan_id
            FROM unnest($3::text[], $4::uuid[], $5::text[]) AS b(scan_id, ticket_id, direction)
            JOIN "{schema}".scans s ON s.scanner = $1 AND s.scan_id = b.scan_id
            WHERE s.event_id <> $2 OR s.ticket_id IS DISTINCT FROM b.ticket_id OR s.direction <> b.direction
        """

    @classmethod
    async def open(cls, database_url: str, schema: str, size: int, batch_max: int = 1) -> DoorStatements:
        pool = await asyncpg.create_pool(
            asyncpg_dsn(database_url),
            min_size=1,
            max_size=size,
            reset=_keep_session,
            server_settings={
                "search_path": schema,
                "application_name": f"{schema}-door",
                **_SESSION,
            },
        )
        return cls(pool, schema, batch_max)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self.pool.acquire() as connection:
                yield connection
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == _REVOKED:
                raise DeviceRevoked() from None
            if exc.sqlstate == _REUSED:
                raise ScanIdReused(str(getattr(exc, "detail", "") or "")) from None
            if exc.sqlstate == _LOCK_NOT_AVAILABLE:
                raise ProblemError(
                    "The ticket is being changed; try again shortly",
                    status=503,
                    code="service_unavailable",
                    headers={"Retry-After": "1"},
                ) from None
            raise
        except (OSError, asyncpg.InterfaceError) as exc:
            raise ProblemError(
                DEPENDENCY_DOWN,
                status=503,
                code="service_unavailable",
                headers={"Retry-After": "1"},
            ) from exc

    async def scan(self, scan: OnlineScan) -> str:
        """The answer (JSON text) for one scan: decided now, or stored for a repeat."""
        if self._lane is not None:
            answer = await self._lane.submit(scan)
            if answer is not None:
                return answer
        return await self._decide_alone(scan)

    async def _decide_lone(self, scan: OnlineScan) -> str | None:
        """A batch of one: decided as alone, but once (a lock timeout is the lane's failure)."""
        async with self.pool.acquire() as connection:
            try:
                answer: str = await connection.fetchval(self._scan, *_arguments(scan))
            except asyncpg.PostgresError as exc:
                if exc.sqlstate == _REVOKED:
                    return None  # refused alone, without counting as a failed batch
                raise
        return answer

    async def _decide_alone(self, scan: OnlineScan) -> str:
        arguments = _arguments(scan)
        async with self._connection() as connection:
            answer: str = await _settled(lambda: connection.fetchval(self._scan, *arguments))
        return answer

    async def _decide_together(self, scans: Sequence[OnlineScan]) -> list[str | None]:
        """The answers of a batch, in its order (None for a revoked device's scan, left to be
        refused alone). Decided sorted by ticket (arrival order kept within a ticket) so that
        concurrent batches lock tickets in one order. Errors are raised as they come: the lane
        then has each scan decided alone, outside the lane, where a scan may wait for a lock."""
        if len(scans) == 1:  # most batches of a door below saturation: door_scan, no wrapper
            return [await self._decide_lone(scans[0])]
        order = sorted(range(len(scans)), key=lambda n: (scans[n].ticket_id, n))
        ordered = [scans[n] for n in order]
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                self._scans,
                [s.scanner for s in ordered],
                [s.device for s in ordered],
                [s.scan_id for s in ordered],
                [s.event_id for s in ordered],
                [s.ticket_id for s in ordered],
                [s.code_event_id for s in ordered],
                [s.serial for s in ordered],
                [s.gate for s in ordered],
                [s.device_label for s in ordered],
                [s.direction for s in ordered],
                [s.code_digest for s in ordered],
            )
        answers: list[str | None] = [None] * len(scans)
        for position, row in zip(order, rows, strict=True):
            answers[position] = row[0]
        return answers

    async def known_codes(
        self, ticket_ids: Sequence[uuid.UUID], digests: Sequence[bytes]
    ) -> set[tuple[uuid.UUID, bytes]]:
        """The (ticket, code digest) pairs among those given that are the registry's issued codes
        (migration 0010): codes genuine without their signature checked."""
        if not ticket_ids:
            return set()
        async with self._connection() as connection:
            rows = await connection.fetch(self._known, ticket_ids, digests)
        return {(row[0], row[1]) for row in rows}

    async def reused_scan_ids(
        self,
        scanner: str,
        event_id: uuid.UUID,
        scan_ids: Sequence[str],
        ticket_ids: Sequence[uuid.UUID | None],
        directions: Sequence[str],
    ) -> list[str]:
        """The scan ids this caller already used for another event, ticket or direction."""
        async with self._connection() as connection:
            rows = await connection.fetch(self._reused, scanner, event_id, scan_ids, ticket_ids, directions)
        return [row[0] for row in rows]

    async def sync(
        self,
        *,
        scanner: str,
        device: uuid.UUID | None,
        event_id: uuid.UUID,
        device_label: str,
        chunk: OfflineChunk,
    ) -> list[str]:
        """The answers (JSON text, in the chunk's order) for one chunk, in one transaction."""
        arguments = (
            scanner,
            device,
            event_id,
            device_label,
            chunk.scan_ids,
            chunk.ticket_ids,
            chunk.code_event_ids,
            chunk.serials,
            chunk.gates,
            chunk.directions,
            chunk.scanned_ats,
            chunk.local_results,
        )
        async with self._connection() as connection:
            rows = await _settled(lambda: connection.fetch(self._sync, *arguments))
        return [row[0] for row in rows]

"""The door verdict.

1. The QR payload is read first, in memory: an unreadable code, or one signed with a key outside
   the ring, is ``invalid`` without touching the database.
2. A code the registry issued is recognised by its digest, inside the deciding statement (ADR
   0024); any other code (forged, edited, or one the registry holds no digest for) has its
   signature checked, is ``invalid`` if it does not hold, and is otherwise decided as a code
   whose signature held. The verdicts are the same either way; the digest only spares the
   signature check, about 70 us of CPU, to the codes the registry knows.
3. One statement decides the rest (``door_scan``, migration 0002; with the digest, 0010), in one
   round trip for a code the registry knows and two for any other: the
   device check, the scan logged under (caller, ``scan_id``), the conditional ``UPDATE`` that
   admits, and the answer. PostgreSQL serialises concurrent updates of one row and re-checks the
   condition after waiting, so among any number of simultaneous scans exactly one is
   ``admitted``; the others read why they lost (``already_used``, ``revoked``...).
4. A retried ``scan_id`` of the same caller gets the stored answer (a concurrent retry waits on
   the primary key, then reads the answer of the first); the same ``scan_id`` naming another
   event, ticket or direction is refused (:class:`ScanIdReused`, answered 409). Another caller's
   ``scan_id`` is simply another scan.

Answers come back as JSON text and are sent as they are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

import msgspec
from prometheus_client import Counter

from crowdify.tickets import (
    InvalidTicketCode,
    KeyRing,
    KnownCode,
    TicketClaims,
    read_known_ticket,
    verify_ticket,
)
from validation_svc.adapters.door_statements import (
    UNKNOWN_CODE,
    DoorStatements,
    OfflineChunk,
    OnlineScan,
    ScanIdReused,
)

Direction = Literal["in", "out"]

# Offline scans per transaction: a device's backlog of thousands is decided in a few statements,
# while no transaction holds many ticket locks for long.
SYNC_CHUNK = 500

_encode = msgspec.json.Encoder().encode

CODES_CHECKED = Counter(
    "crowdify_door_codes_checked",
    "Scanned codes, by how they were found genuine or not: recognised by the registry's digest, "
    "or by checking their signature (a forgery, or a code the registry holds no digest for)",
    ["check"],
)
_BY_DIGEST = CODES_CHECKED.labels(check="digest")
_BY_SIGNATURE = CODES_CHECKED.labels(check="signature")


def invalid_code_answer(reason: str) -> bytes:
    """The answer to a code that is unreadable or whose signature does not verify (nothing of it
    is written)."""
    return _encode(
        {
            "result": "invalid",
            "ticket": None,
            "first_entry_at": None,
            "first_entry_gate": None,
            "message": f"Invalid ticket ({reason})",
        }
    )


@dataclass(frozen=True)
class ScanRequest:
    qr_payload: str
    event_id: uuid.UUID
    direction: Direction = "in"
    gate: str | None = None
    device_id: str | None = None
    scan_id: str | None = None


class Scanner:
    def __init__(self, statements: DoorStatements, keyring: KeyRing, digest_key: bytes) -> None:
        """``digest_key``: the key of the registry's code digests (ADR 0024)."""
        self.statements = statements
        self.keyring = keyring
        self.digest_key = digest_key

    async def scan(self, request: ScanRequest, scanner: str, device: uuid.UUID | None = None) -> bytes:
        """The answer as JSON bytes. ``scanner`` is the caller (the token's subject); ``device``
        the door device of a device token, checked for revocation in the same statement."""
        try:
            known = read_known_ticket(request.qr_payload, self.keyring, self.digest_key)
        except InvalidTicketCode as exc:
            return invalid_code_answer(exc.reason)
        online = OnlineScan(
            scanner=scanner,
            device=device,
            scan_id=request.scan_id or uuid.uuid4().hex,
            event_id=request.event_id,
            ticket_id=known.ticket_id,
            code_event_id=known.event_id,
            serial=known.serial,
            gate=request.gate,
            device_label=request.device_id,
            direction=request.direction,
            code_digest=known.digest,
        )
        answer = await self.statements.scan(online)
        if answer != UNKNOWN_CODE:
            _BY_DIGEST.inc()
            return answer.encode()
        _BY_SIGNATURE.inc()
        try:
            verify_ticket(request.qr_payload, self.keyring)
        except InvalidTicketCode as exc:
            return invalid_code_answer(exc.reason)
        answer = await self.statements.scan(replace(online, code_digest=None))
        return answer.encode()


@dataclass(frozen=True)
class OfflineScan:
    scan_id: str
    qr_payload: str
    direction: Direction
    scanned_at: datetime
    gate: str | None = None
    local_result: str | None = None


class Synchronizer:
    """Decides scans a device made offline, after the fact and authoritatively.

    The earliest scan of a ticket wins: an offline admission earlier than the recorded first
    entry takes the first entry over (its time and gate), and a later one is ``already_used``,
    reported as a ``conflict`` when the device had admitted it. Scans are decided in the order
    they were made, :data:`SYNC_CHUNK` per transaction (``door_sync``, migration 0002), with the
    tickets of a chunk locked in id order. Scans whose code does not verify are logged too
    (failed scans), as ``invalid``. A re-sent ``scan_id`` gets the stored answer and changes
    nothing; one naming another event, ticket or direction refuses the whole upload before
    anything is decided (:class:`ScanIdReused`).
    """

    def __init__(self, statements: DoorStatements, keyring: KeyRing, digest_key: bytes) -> None:
        self.statements = statements
        self.keyring = keyring
        self.digest_key = digest_key

    async def _claims(self, batch: list[OfflineScan]) -> list[KnownCode | TicketClaims | None]:
        """What each genuine code asserts (None for the others): the codes the registry issued
        are recognised by their digests in one statement, the rest have their signatures checked."""
        read: list[KnownCode | None] = []
        for offline in batch:
            try:
                read.append(read_known_ticket(offline.qr_payload, self.keyring, self.digest_key))
            except InvalidTicketCode:
                read.append(None)
        readable = [known for known in read if known is not None]
        issued = await self.statements.known_codes(
            [known.ticket_id for known in readable], [known.digest for known in readable]
        )
        genuine: list[KnownCode | TicketClaims | None] = []
        for offline, known in zip(batch, read, strict=True):
            if known is None:
                genuine.append(None)
            elif (known.ticket_id, known.digest) in issued:
                _BY_DIGEST.inc()
                genuine.append(known)
            else:
                _BY_SIGNATURE.inc()
                genuine.append(_verified(offline.qr_payload, self.keyring))
        return genuine

    async def sync(
        self,
        event_id: uuid.UUID,
        device_id: str,
        batch: list[OfflineScan],
        scanner: str,
        device: uuid.UUID | None = None,
    ) -> list[bytes]:
        """The answers (JSON bytes), in the order of ``batch``."""
        claims = await self._claims(batch)
        ticket_ids = [c.ticket_id if c else None for c in claims]
        _refuse_reuse_within(batch, ticket_ids)
        reused = await self.statements.reused_scan_ids(
            scanner, event_id, [o.scan_id for o in batch], ticket_ids, [o.direction for o in batch]
        )
        if reused:
            raise ScanIdReused(reused[0])
        order = sorted(range(len(batch)), key=lambda n: batch[n].scanned_at)
        answers: list[bytes] = [b""] * len(batch)
        # An empty upload still runs one (empty) chunk: it checks the device like any other.
        for start in list(range(0, len(order), SYNC_CHUNK)) or [0]:
            chosen = order[start : start + SYNC_CHUNK]
            chunk = OfflineChunk(
                scan_ids=[batch[n].scan_id for n in chosen],
                ticket_ids=[ticket_ids[n] for n in chosen],
                code_event_ids=[c.event_id if (c := claims[n]) else None for n in chosen],
                serials=[c.serial if (c := claims[n]) else None for n in chosen],
                gates=[batch[n].gate for n in chosen],
                directions=[batch[n].direction for n in chosen],
                scanned_ats=[batch[n].scanned_at for n in chosen],
                local_results=[batch[n].local_result for n in chosen],
            )
            decided = await self.statements.sync(
                scanner=scanner, device=device, event_id=event_id, device_label=device_id, chunk=chunk
            )
            for n, answer in zip(chosen, decided, strict=True):
                answers[n] = answer.encode()
        return answers


def _verified(payload: str, keyring: KeyRing) -> TicketClaims | None:
    try:
        return verify_ticket(payload, keyring)
    except InvalidTicketCode:
        return None


def _refuse_reuse_within(batch: list[OfflineScan], ticket_ids: list[uuid.UUID | None]) -> None:
    """One upload naming one ``scan_id`` twice for different tickets or directions."""
    seen: dict[str, tuple[uuid.UUID | None, str]] = {}
    for offline, ticket_id in zip(batch, ticket_ids, strict=True):
        first = seen.setdefault(offline.scan_id, (ticket_id, offline.direction))
        if first != (ticket_id, offline.direction):
            raise ScanIdReused(offline.scan_id)

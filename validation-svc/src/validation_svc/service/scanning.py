"""The door verdict.

1. The QR payload's signature is checked first, in memory: a forged, edited or unreadable code is
   ``invalid`` without touching the database.
2. One short transaction decides the rest. Admission is a single conditional ``UPDATE`` of the
   ticket's row: PostgreSQL serialises concurrent updates of one row and re-checks the condition
   after waiting, so among any number of simultaneous scans exactly one finds the ticket not yet
   inside and is ``admitted``; the others read why they lost (``already_used``, ``revoked``...).
3. Each scan is logged under its ``scan_id`` with its answer, in the same transaction: a retried
   request with the same ``scan_id`` gets the stored answer (a concurrent retry waits on the
   primary key, then reads the answer of the first).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import and_, case, exists, func, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Row

from crowdify.db import UnitOfWorkFactory
from crowdify.tickets import InvalidTicketCode, KeyRing, TicketClaims, verify_ticket
from validation_svc.adapters.tables import CURRENT_XID, events, scans, tickets
from validation_svc.service.devices import ensure_device_active

Direction = Literal["in", "out"]
Result = Literal["admitted", "already_used", "invalid", "revoked", "wrong_event", "exited", "not_inside"]

MESSAGES: dict[str, str] = {
    "admitted": "Admitted",
    "already_used": "Ticket already used",
    "invalid": "Invalid ticket",
    "revoked": "Ticket revoked",
    "wrong_event": "Ticket is for another event",
    "exited": "Exit recorded",
    "not_inside": "Ticket is not inside",
}


@dataclass(frozen=True)
class ScanRequest:
    qr_payload: str
    event_id: uuid.UUID
    direction: Direction = "in"
    gate: str | None = None
    device_id: str | None = None
    scan_id: str | None = None


def _ticket_view(row: Row[Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": str(row.id),
        "ticket_type": row.ticket_type,
        "ticket_type_id": str(row.ticket_type_id),
        "holder_name": row.holder_name,
        "child": {"nombre": row.child_nombre} if row.child_nombre else None,
    }


def _answer(result: str, row: Row[Any] | None = None, message: str | None = None) -> dict[str, Any]:
    first_entry_at = row.first_entry_at if row is not None else None
    return {
        "result": result,
        "ticket": _ticket_view(row),
        "first_entry_at": first_entry_at.isoformat() if first_entry_at else None,
        "first_entry_gate": row.first_entry_gate if row is not None else None,
        "message": message or MESSAGES[result],
    }


def _explain(row: Row[Any] | None, claims: TicketClaims, request: ScanRequest) -> dict[str, Any]:
    """Why the conditional update matched nothing."""
    if row is None:
        return _answer("invalid", None, "Unknown ticket")
    if row.event_id != request.event_id:
        return _answer("wrong_event", row)
    if row.status == "revoked":
        return _answer("revoked", row)
    if row.serial > claims.serial:
        return _answer("invalid", row, "This code was replaced by a newer one")
    if request.direction == "out":
        return _answer("not_inside", row)
    return _answer("already_used", row)


class Scanner:
    def __init__(self, uow_factory: UnitOfWorkFactory, keyring: KeyRing) -> None:
        self.uow_factory = uow_factory
        self.keyring = keyring

    async def scan(
        self, request: ScanRequest, scanner: str | None = None, device: uuid.UUID | None = None
    ) -> dict[str, Any]:
        try:
            claims = verify_ticket(request.qr_payload, self.keyring)
        except InvalidTicketCode as exc:
            return _answer("invalid", None, f"Invalid ticket ({exc.reason})")
        now = datetime.now(UTC)
        scan_id = request.scan_id or uuid.uuid4().hex
        async with self.uow_factory() as uow:
            session = uow.session
            await ensure_device_active(session, device)
            logged = await session.execute(
                insert(scans)
                .values(
                    scan_id=scan_id,
                    event_id=request.event_id,
                    ticket_id=claims.ticket_id,
                    gate=request.gate,
                    device_id=request.device_id,
                    scanner=scanner,
                    direction=request.direction,
                    scanned_at=now,
                )
                .on_conflict_do_nothing(index_elements=[scans.c.scan_id])
                .returning(scans.c.scan_id)
            )
            if logged.first() is None:
                stored = (
                    await session.execute(select(scans.c.response).where(scans.c.scan_id == scan_id))
                ).scalar_one()
                return dict(stored) if stored else _answer("invalid", None, "Scan id reused")
            if claims.event_id != request.event_id:
                row = (await session.execute(select(tickets).where(tickets.c.id == claims.ticket_id))).first()
                answer = _answer("wrong_event", row) if row is not None else _answer("wrong_event")
            else:
                row = (await session.execute(self._decide(claims, request, now))).first()
                if row is not None:
                    answer = _answer("admitted" if request.direction == "in" else "exited", row)
                else:
                    row = (
                        await session.execute(select(tickets).where(tickets.c.id == claims.ticket_id))
                    ).first()
                    answer = _explain(row, claims, request)
            await session.execute(
                update(scans)
                .where(scans.c.scan_id == scan_id)
                .values(result=answer["result"], response=answer)
            )
        return answer

    @staticmethod
    def _decide(claims: TicketClaims, request: ScanRequest, now: datetime) -> Any:
        current = and_(
            tickets.c.id == claims.ticket_id,
            tickets.c.event_id == request.event_id,
            tickets.c.status == "valid",
            tickets.c.serial <= claims.serial,
        )
        if request.direction == "out":
            return (
                update(tickets)
                .where(current, tickets.c.inside)
                .values(inside=False, last_scan_at=now, changed_xid=CURRENT_XID)
                .returning(*tickets.c)
            )
        reentry_allowed = exists().where(events.c.id == tickets.c.event_id, events.c.reentry_allowed)
        first_entry = tickets.c.first_entry_at.is_(None)
        return (
            update(tickets)
            .where(current, or_(first_entry, and_(not_(tickets.c.inside), reentry_allowed)))
            .values(
                inside=True,
                first_entry_at=func.coalesce(tickets.c.first_entry_at, now),
                first_entry_gate=case((first_entry, request.gate), else_=tickets.c.first_entry_gate),
                entries=tickets.c.entries + 1,
                last_scan_at=now,
                changed_xid=CURRENT_XID,
            )
            .returning(*tickets.c)
        )


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
    reported as a ``conflict`` when the device had admitted it. Each scan is decided in its own
    short transaction holding the ticket's row lock, in the order the scans were made. Scans whose
    code does not verify are logged too (failed scans), as ``invalid``. A re-sent ``scan_id``
    gets the stored answer and changes nothing.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, keyring: KeyRing) -> None:
        self.uow_factory = uow_factory
        self.keyring = keyring

    async def sync(
        self,
        event_id: uuid.UUID,
        device_id: str,
        batch: list[OfflineScan],
        scanner: str | None = None,
        device: uuid.UUID | None = None,
    ) -> list[dict[str, Any]]:
        async with self.uow_factory() as uow:
            await ensure_device_active(uow.session, device)
        answers: dict[str, dict[str, Any]] = {}
        for offline in sorted(batch, key=lambda s: s.scanned_at):
            answers[offline.scan_id] = await self._one(event_id, device_id, offline, scanner)
        return [answers[offline.scan_id] for offline in batch]

    async def _one(
        self, event_id: uuid.UUID, device_id: str, offline: OfflineScan, scanner: str | None
    ) -> dict[str, Any]:
        try:
            claims: TicketClaims | None = verify_ticket(offline.qr_payload, self.keyring)
        except InvalidTicketCode:
            claims = None
        async with self.uow_factory() as uow:
            session = uow.session
            logged = await session.execute(
                insert(scans)
                .values(
                    scan_id=offline.scan_id,
                    event_id=event_id,
                    ticket_id=claims.ticket_id if claims else None,
                    gate=offline.gate,
                    device_id=device_id,
                    scanner=scanner,
                    direction=offline.direction,
                    scanned_at=offline.scanned_at,
                )
                .on_conflict_do_nothing(index_elements=[scans.c.scan_id])
                .returning(scans.c.scan_id)
            )
            if logged.first() is None:
                stored = (
                    await session.execute(select(scans.c.response).where(scans.c.scan_id == offline.scan_id))
                ).scalar_one()
                return dict(stored) if stored else self._result(offline, "invalid", None)
            answer = await self._decide(session, event_id, claims, offline)
            await session.execute(
                update(scans)
                .where(scans.c.scan_id == offline.scan_id)
                .values(result=answer["result"], response=answer)
            )
        return answer

    @staticmethod
    def _result(offline: OfflineScan, result: str, row: Any) -> dict[str, Any]:
        first_entry_at = row.first_entry_at if row is not None else None
        return {
            "scan_id": offline.scan_id,
            "result": result,
            "conflict": offline.local_result == "admitted" and result != "admitted",
            "first_entry_at": first_entry_at.isoformat() if first_entry_at else None,
            "first_entry_gate": row.first_entry_gate if row is not None else None,
        }

    async def _decide(
        self, session: Any, event_id: uuid.UUID, claims: TicketClaims | None, offline: OfflineScan
    ) -> dict[str, Any]:
        if claims is None:
            return self._result(offline, "invalid", None)
        row = (
            await session.execute(select(tickets).where(tickets.c.id == claims.ticket_id).with_for_update())
        ).first()
        if row is None or row.event_id != event_id or claims.event_id != event_id:
            return self._result(offline, "invalid" if row is None else "wrong_event", row)
        if row.status == "revoked":
            return self._result(offline, "revoked", row)
        if row.serial > claims.serial:
            return self._result(offline, "invalid", row)
        at = offline.scanned_at
        current = tickets.c.id == row.id
        if offline.direction == "out":
            if not row.inside:
                return self._result(offline, "not_inside", row)
            updated = await session.execute(
                update(tickets)
                .where(current)
                .values(
                    inside=False,
                    last_scan_at=func.greatest(tickets.c.last_scan_at, at),
                    changed_xid=CURRENT_XID,
                )
                .returning(*tickets.c)
            )
            return self._result(offline, "exited", updated.first())
        reentry = (
            await session.execute(select(events.c.reentry_allowed).where(events.c.id == event_id))
        ).scalar_one_or_none()
        if row.first_entry_at is None or at < row.first_entry_at:
            # The earliest scan wins: this one becomes the first entry.
            values: dict[str, Any] = {"first_entry_at": at, "first_entry_gate": offline.gate}
        elif reentry and not row.inside:
            values = {}
        else:
            return self._result(offline, "already_used", row)
        updated = await session.execute(
            update(tickets)
            .where(current)
            .values(
                inside=True,
                entries=tickets.c.entries + 1,
                last_scan_at=func.greatest(tickets.c.last_scan_at, at),
                changed_xid=CURRENT_XID,
                **values,
            )
            .returning(*tickets.c)
        )
        return self._result(offline, "admitted", updated.first())

"""The ticket registry, fed only by messages: events published/updated/cancelled, tickets issued,
orders refunded. Every handler is idempotent (the consumer's inbox also drops duplicates) and
runs inside the consumer's transaction."""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from sqlalchemy import exists, select, text, update
from sqlalchemy.dialects.postgresql import insert

from crowdify.contracts.common import EventSnapshot
from crowdify.contracts.purchase import OrderRefundedV1
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.db import UnitOfWork
from crowdify.tickets import InvalidTicketCode, KeyRing, code_digest, verify_ticket
from validation_svc.adapters.tables import CURRENT_XID, early_revocations, events, tickets

log = logging.getLogger(__name__)


async def _lock(uow: UnitOfWork, key: UUID) -> None:
    """Serialise the handlers touching one order or event until this transaction ends.

    The consumer handles several messages at once: without it, a refund handled while its
    tickets are being registered could miss them (neither transaction sees the other's rows).
    Locks are taken event first, then order, so two handlers never wait on each other in a cycle.
    """
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": str(key)}
    )


async def remember_event(uow: UnitOfWork, event: EventSnapshot, as_of: datetime) -> None:
    """Keep the newest snapshot of an event; an older one (reordered, redelivered) never wins."""
    values = {
        "id": event.id,
        "status": event.status,
        "reentry_allowed": event.reentry_allowed,
        "snapshot": event.model_dump(mode="json"),
        "as_of": as_of,
    }
    statement = insert(events).values(**values)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[events.c.id],
            set_={key: statement.excluded[key] for key in values if key != "id"},
            where=events.c.as_of <= statement.excluded.as_of,
        )
    )


async def register_issued_tickets(
    uow: UnitOfWork, message: TicketsIssuedV1, keyring: KeyRing, digest_key: bytes
) -> None:
    """Add the tickets; a re-issued code (higher serial) replaces the older one's serial.

    Each code that verifies is kept as its digest, by which the door recognises it without
    checking its signature again (ADR 0024)."""
    await _lock(uow, message.event_id)
    await _lock(uow, message.order_id)
    rows = []
    for ticket in message.tickets:
        serial, digest = 0, None
        try:
            claims = verify_ticket(ticket.qr_payload, keyring)
        except InvalidTicketCode as exc:
            # Not fatal: the door verifies each scanned code itself. Serial stays 0, and with no
            # digest the door checks the code's signature.
            log.warning("issued ticket %s carries a code this service cannot verify (%s)", ticket.id, exc)
        else:
            serial, digest = claims.serial, code_digest(ticket.qr_payload, digest_key)
        rows.append(
            {
                "id": ticket.id,
                "event_id": message.event_id,
                "order_id": message.order_id,
                "ticket_type_id": ticket.ticket_type_id,
                "ticket_type": ticket.ticket_type,
                "holder_name": ticket.holder_name,
                "child_nombre": ticket.child_nombre,
                "serial": serial,
                "code_digest": digest,
                "issued_at": message.issued_at,
            }
        )
    statement = insert(tickets).values(rows)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[tickets.c.id],
            set_={
                "serial": statement.excluded.serial,
                "code_digest": statement.excluded.code_digest,
                "holder_name": statement.excluded.holder_name,
                "child_nombre": statement.excluded.child_nombre,
                "ticket_type": statement.excluded.ticket_type,
                "changed_xid": CURRENT_XID,
            },
            where=tickets.c.serial < statement.excluded.serial,
        )
    )
    await _apply_early_revocations(uow, message)


async def _apply_early_revocations(uow: UnitOfWork, message: TicketsIssuedV1) -> None:
    """A refund or cancellation handled before these tickets arrived still revokes them."""
    ids = [ticket.id for ticket in message.tickets]
    early = (
        await uow.session.execute(
            select(
                early_revocations.c.ticket_id, early_revocations.c.reason, early_revocations.c.revoked_at
            ).where(early_revocations.c.order_id == message.order_id)
        )
    ).all()
    for ticket_id, reason, at in early:
        condition = tickets.c.id.in_(ids) if ticket_id is None else tickets.c.id == ticket_id
        await _revoke(uow, condition, reason, at)
    cancelled = exists().where(events.c.id == message.event_id, events.c.status == "cancelled")
    at_row = (
        await uow.session.execute(select(events.c.as_of).where(events.c.id == message.event_id, cancelled))
    ).first()
    if at_row is not None:
        await _revoke(uow, tickets.c.id.in_(ids), "event_cancelled", at_row[0])


async def revoke_refunded_tickets(uow: UnitOfWork, message: OrderRefundedV1, at: datetime) -> int:
    """Revoke the refunded tickets (all the order's tickets for a full refund without ids)."""
    condition = (
        tickets.c.id.in_(message.ticket_ids) if message.ticket_ids else tickets.c.order_id == message.order_id
    )
    if not message.ticket_ids and not message.full:
        return 0
    await _lock(uow, message.order_id)
    revoked = await _revoke(uow, condition & (tickets.c.event_id == message.event_id), "refunded", at)
    expected = len(message.ticket_ids) if message.ticket_ids else None
    if expected is None or revoked < expected:
        # Some tickets may not be registered yet: remember the refund for when they are.
        targets: list[UUID | None] = list(message.ticket_ids) if message.ticket_ids else [None]
        await uow.session.execute(
            early_revocations.insert(),
            [
                {"order_id": message.order_id, "ticket_id": t, "reason": "refunded", "revoked_at": at}
                for t in targets
            ],
        )
    return revoked


async def revoke_event_tickets(uow: UnitOfWork, event_id: UUID, at: datetime) -> int:
    await _lock(uow, event_id)
    return await _revoke(uow, tickets.c.event_id == event_id, "event_cancelled", at)


async def _revoke(uow: UnitOfWork, condition: object, reason: str, at: datetime) -> int:
    # Lock the tickets in id order first, the order in which the door's batches and offline
    # uploads lock them, so that revoking an event's tickets cannot deadlock with them.
    await uow.session.execute(
        select(tickets.c.id)
        .where(condition, tickets.c.status == "valid")  # type: ignore[arg-type]
        .order_by(tickets.c.id)
        .with_for_update()
    )
    result = await uow.session.execute(
        update(tickets)
        .where(condition, tickets.c.status == "valid")  # type: ignore[arg-type]
        .values(status="revoked", revoked_at=at, revoked_reason=reason, inside=False, changed_xid=CURRENT_XID)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]

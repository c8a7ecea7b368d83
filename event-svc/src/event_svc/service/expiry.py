"""Unpaid holds past their expiry go back on sale, announced with ``catalog.hold.expired``.

A sweep is a batch decided in one statement (``expire_due_holds``, migration 0004): the due holds
are locked (SKIP LOCKED: several workers, and orders looking for room, may expire at once without
waiting on each other), their live seats given back with one update of the events and one of the
ticket types, and the holds marked ``expired``. The announcements are written to the outbox with
one more statement. A batch of orders short of room runs the same sweep for its ticket types
inside ``decide_holds``, and announces what it expired with :func:`announcements`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from crowdify.contracts.catalog import HoldExpiredV1
from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox, Outgoing
from event_svc.adapters import hold_statements as sql


async def sweep_expired_holds(uow: UnitOfWork, outbox: Outbox, *, batch_size: int = 200) -> int:
    """The worker's periodic sweep: at most ``batch_size`` holds per transaction."""
    db = await uow.driver_connection()
    expired = await sql.expire_due_holds(db, batch_size)
    await outbox.add_many(uow, announcements(expired))
    return len(expired)


def announcements(expired: Sequence[Any]) -> list[Outgoing]:
    """``catalog.hold.expired`` for each row of ``expire_due_holds``, in the order given."""
    expired_at = datetime.now(UTC)
    return [
        Outgoing(
            HoldExpiredV1(
                order_id=row["order_id"],
                event_id=row["event_id"],
                expired_at=expired_at,
                lines=tuple(
                    OrderLine(ticket_type_id=type_id, quantity=quantity)
                    for type_id, quantity in zip(row["ticket_type_ids"], row["quantities"], strict=True)
                ),
            ),
            correlation_id=str(row["order_id"]),
        )
        for row in expired
    ]

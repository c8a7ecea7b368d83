"""Transaction-scoped advisory locks that serialise the handlers touching one order or event.

The consumer handles several messages at once and several workers may run: without these, a
refund handled while its order's tickets are being recorded could miss them (neither
transaction sees the other's rows). Locks are taken event first, then order, so two handlers
never wait on each other in a cycle. Issuing, refunds and re-rendering take the event's lock
shared (orders of one event render in parallel); an event's cancellation takes it exclusively,
so no ticket of that event is recorded as valid while it is being cancelled.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import text

from crowdify.db import UnitOfWork


async def lock_event(uow: UnitOfWork, event_id: UUID, *, exclusive: bool = False) -> None:
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await uow.session.execute(
        text(f"SELECT {function}(hashtextextended(:key, 0))"), {"key": f"event:{event_id}"}
    )


async def lock_order(uow: UnitOfWork, order_id: UUID) -> None:
    await uow.session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"order:{order_id}"}
    )

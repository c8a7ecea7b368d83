"""Organiser scope: admins see every event; a coordinator only the events they are staff of.

Staff lists come from event-svc's messages (``catalog.event_staff.changed``), never from its
tables. An event outside the caller's scope answers 404, exactly like an event that does not exist,
so nobody learns which events exist by probing ids.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_svc.adapters.tables import event_staff, events
from crowdify.auth.principal import Principal
from crowdify.event_staff import EventNotInScope, is_event_in_scope


async def require_event_in_scope(session: AsyncSession, principal: Principal, event_id: UUID) -> None:
    """Admins: any event admin-svc has heard of; coordinators: the events they are staff of."""
    if not principal.is_admin:
        if not await is_event_in_scope(session, event_staff, principal, event_id):
            raise EventNotInScope()
        return
    known = or_(
        exists().where(events.c.event_id == event_id),
        exists().where(event_staff.c.event_id == event_id),
    )
    if not (await session.execute(select(literal(True)).where(known))).scalar():
        raise EventNotInScope()

"""What pdf-svc knows of each event, from ``catalog.event.*``: what a ticket page prints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert

from crowdify.contracts.common import EventSnapshot
from crowdify.db import UnitOfWork
from pdf_svc.adapters.tables import events


async def remember_event(uow: UnitOfWork, event: EventSnapshot, as_of: datetime) -> None:
    """Keep the newest snapshot of an event; an older one (reordered, redelivered) never wins."""
    values = {
        "id": event.id,
        "name": event.name,
        "venue": event.venue,
        "city": event.city,
        "starts_at": event.starts_at,
        "timezone": event.timezone,
        "status": event.status,
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

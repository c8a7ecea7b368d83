"""The catalogue as purchase-svc sees it: the latest snapshot of each event, from event-svc's
messages. An older snapshot (redelivered or reordered) never overwrites a newer one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert

from crowdify.contracts.common import EventSnapshot
from crowdify.db import UnitOfWork
from purchase_svc.adapters.tables import catalog_events


async def remember_event(uow: UnitOfWork, event: EventSnapshot, as_of: datetime) -> None:
    values = {
        "id": event.id,
        "status": event.status,
        "snapshot": event.model_dump(mode="json"),
        "as_of": as_of,
    }
    statement = insert(catalog_events).values(**values)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[catalog_events.c.id],
            set_={
                "status": statement.excluded.status,
                "snapshot": statement.excluded.snapshot,
                "as_of": statement.excluded.as_of,
            },
            where=catalog_events.c.as_of <= statement.excluded.as_of,
        )
    )

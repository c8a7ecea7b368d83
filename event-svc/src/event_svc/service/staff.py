"""An event's staff: its creator plus the coordinators an admin adds. event-svc owns the list and
announces every change (``catalog.event_staff.changed.v1``, the whole list with a revision that
grows by one), in the same transaction as the change."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, select

from crowdify.auth import Principal
from crowdify.contracts.catalog import EventStaffChangedV1
from crowdify.db import UnitOfWork
from crowdify.event_staff import in_scope, is_event_in_scope
from event_svc.adapters.tables import event_staff, events
from event_svc.service.errors import EventNotFound

if TYPE_CHECKING:
    from event_svc.service.catalog import Catalog


@dataclass(frozen=True)
class Staff:
    event_id: uuid.UUID
    created_by: str
    user_ids: list[str]
    revision: int

    @property
    def coordinators(self) -> list[str]:
        return [user for user in self.user_ids if user != self.created_by]


async def start_staff(catalog: Catalog, uow: UnitOfWork, event_id: uuid.UUID, created_by: str) -> None:
    """A new event's staff is its creator (revision 1)."""
    await uow.session.execute(
        event_staff.insert().values(event_id=event_id, user_ids=[created_by], revision=1)
    )
    await _announce(catalog, uow, event_id, [created_by], 1)


def visible_to(user: Principal | None) -> ColumnElement[bool] | None:
    """Which events a coordinator's listing shows: only the ones they run, of any status. Others'
    published events are public, but a coordinator's list is their workspace (the console's
    events screen); the shop lists the catalogue without a token."""
    if user is None or user.role != "coordinator":
        return None
    return in_scope(event_staff, user, events.c.id)


async def runs_event(catalog: Catalog, user: Principal, event_id: uuid.UUID) -> bool:
    async with catalog.uow_factory() as uow:
        return await is_event_in_scope(uow.session, event_staff, user, event_id)


async def get_staff(catalog: Catalog, event_id: uuid.UUID) -> Staff:
    async with catalog.uow_factory() as uow:
        return await _load(uow, event_id)


async def set_coordinators(catalog: Catalog, event_id: uuid.UUID, coordinators: Iterable[str]) -> Staff:
    """The event's staff becomes its creator plus ``coordinators``; announced if it changed."""
    async with catalog.uow_factory() as uow:
        current = await _load(uow, event_id, lock=True)
        wanted = sorted({current.created_by, *coordinators})
        if wanted == sorted(current.user_ids):
            return current
        revision = current.revision + 1
        await uow.session.execute(
            event_staff.update()
            .where(event_staff.c.event_id == event_id)
            .values(user_ids=wanted, revision=revision)
        )
        await _announce(catalog, uow, event_id, wanted, revision)
        return Staff(event_id, current.created_by, wanted, revision)


async def _load(uow: UnitOfWork, event_id: uuid.UUID, *, lock: bool = False) -> Staff:
    query = (
        select(events.c.created_by, event_staff.c.user_ids, event_staff.c.revision)
        .select_from(events.join(event_staff, event_staff.c.event_id == events.c.id))
        .where(events.c.id == event_id)
    )
    if lock:
        query = query.with_for_update(of=event_staff)
    row = (await uow.session.execute(query)).first()
    if row is None:
        raise EventNotFound()
    return Staff(event_id, row.created_by, sorted(row.user_ids), row.revision)


async def _announce(
    catalog: Catalog, uow: UnitOfWork, event_id: uuid.UUID, user_ids: list[str], revision: int
) -> None:
    message = EventStaffChangedV1(
        event_id=event_id, staff=tuple(user_ids), revision=revision, changed_at=datetime.now(UTC)
    )
    await catalog.outbox.add(uow, message, correlation_id=str(event_id))

"""Organiser scope: who may manage, read the figures of, and export each event.

event-svc owns each event's staff (its creator plus the coordinators an admin adds) and announces
the whole list with a growing revision (``catalog.event_staff.changed.v1``). Every service that
answers for an event keeps a copy in its own ``event_staff`` table (this module's shape) and checks
it: admins see every event; a coordinator only the events listed for them; for anyone else's event
a coordinator gets 404, the answer for an event that does not exist, so ids cannot be probed.

    event_staff = event_staff_table(metadata)                 # adapters/tables.py
    create_event_staff_table(op, schema)                       # the service's migration
    consumer.on(EventStaffChangedV1, ...record_event_staff...) # its worker
    await require_event_in_scope(session, event_staff, user, event_id)   # its routes
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from fastapi import Request
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    ColumnElement,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Uuid,
    any_,
    exists,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crowdify.auth.dependencies import CurrentAdminOrCoordinator
from crowdify.auth.principal import Principal
from crowdify.contracts.catalog import EventStaffChangedV1
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import NotFound
from crowdify.messaging.migrations import MigrationOperations

EVENT_STAFF_TABLE = "event_staff"
EVENT_STAFF_INDEX = "ix_event_staff_user_ids"


class EventNotInScope(NotFound):
    """Also raised for an event that does not exist: the two must look the same."""

    code = "event_not_found"

    def __init__(self) -> None:
        super().__init__("No such event")


def event_staff_columns() -> list[Column[Any] | PrimaryKeyConstraint]:
    return [
        Column("event_id", Uuid(), nullable=False),
        # user ids (JWT ``sub``) of the event's staff
        Column("user_ids", ARRAY(String(64)), nullable=False),
        Column("revision", BigInteger(), nullable=False),
        PrimaryKeyConstraint("event_id", name="pk_event_staff"),
    ]


def event_staff_table(metadata: MetaData) -> Table:
    table = Table(EVENT_STAFF_TABLE, metadata, *event_staff_columns())
    Index(EVENT_STAFF_INDEX, table.c.user_ids, postgresql_using="gin")
    return table


def create_event_staff_table(op: MigrationOperations, schema: str) -> None:
    op.create_table(EVENT_STAFF_TABLE, *event_staff_columns(), schema=schema)
    op.create_index(EVENT_STAFF_INDEX, EVENT_STAFF_TABLE, ["user_ids"], schema=schema, postgresql_using="gin")


def drop_event_staff_table(op: MigrationOperations, schema: str) -> None:
    op.drop_index(EVENT_STAFF_INDEX, table_name=EVENT_STAFF_TABLE, schema=schema)
    op.drop_table(EVENT_STAFF_TABLE, schema=schema)


async def record_event_staff(session: AsyncSession, table: Table, message: EventStaffChangedV1) -> None:
    """Keep the announced list unless a later revision is already here (messages may come in any
    order, or twice)."""
    statement = insert(table).values(
        event_id=message.event_id, user_ids=sorted(set(message.staff)), revision=message.revision
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.event_id],
            set_={"user_ids": statement.excluded.user_ids, "revision": statement.excluded.revision},
            where=table.c.revision < statement.excluded.revision,
        )
    )


def in_scope(table: Table, principal: Principal, event_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """A condition on ``event_id`` (a column): true for admins, for others only their events."""
    if principal.is_admin:
        return true()
    return exists().where(table.c.event_id == event_id, any_(table.c.user_ids) == principal.user_id)


async def is_event_in_scope(
    session: AsyncSession, table: Table, principal: Principal, event_id: UUID
) -> bool:
    if principal.is_admin:
        return True
    found = await session.execute(
        select(table.c.event_id).where(
            table.c.event_id == event_id, any_(table.c.user_ids) == principal.user_id
        )
    )
    return found.first() is not None


async def require_event_in_scope(
    session: AsyncSession,
    table: Table,
    principal: Principal,
    event_id: UUID,
    not_found: Callable[[], Exception] = EventNotInScope,
) -> None:
    """Admins pass; anyone else must be on the event's staff. ``not_found``: the service's own
    answer for an unknown event, so that the two cannot be told apart."""
    if not await is_event_in_scope(session, table, principal, event_id):
        raise not_found()


def event_staff_member(
    table: Table,
    uow_factory_of: Callable[[Request], UnitOfWorkFactory],
    not_found: Callable[[], Exception] = EventNotInScope,
) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency for routes with an ``{event_id}`` path parameter: admins, and
    coordinators on the event's staff (404 for others' events; 403 for other roles)."""

    async def dependency(event_id: UUID, request: Request, user: CurrentAdminOrCoordinator) -> Principal:
        if not user.is_admin:
            async with uow_factory_of(request)() as uow:
                await require_event_in_scope(uow.session, table, user, event_id, not_found)
        return user

    return dependency

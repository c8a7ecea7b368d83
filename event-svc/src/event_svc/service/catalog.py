"""Catalogue use cases: events and ticket types. Each opens and commits its own transaction.

The catalogue is mostly data entry, so it works on tables directly and keeps no ``domain/``
package; the inventory rules live in ``service/inventory.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.engine import RowMapping

from crowdify.contracts.catalog import EventCancelledV1, EventPublishedV1, EventUpdatedV1
from crowdify.db import UnitOfWork, UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox
from event_svc.adapters.tables import DEFAULT_CURRENCY, events, ticket_types
from event_svc.service.errors import (
    CapacityBelowCommitted,
    EventNotEditable,
    EventNotFound,
    InvalidSchedule,
    InvalidTransition,
    MixedCurrencies,
    TicketTypeNotFound,
)
from event_svc.service.snapshots import event_snapshot
from event_svc.service.staff import start_staff


@dataclass(frozen=True)
class Catalog:
    uow_factory: UnitOfWorkFactory
    outbox: Outbox


@dataclass(frozen=True)
class EventView:
    event: RowMapping
    ticket_types: list[RowMapping]


@dataclass(frozen=True)
class EventFilter:
    statuses: tuple[str, ...]
    search: str | None = None
    starts_from: datetime | None = None
    starts_to: datetime | None = None
    # Beyond the statuses: which events the caller may see (a coordinator: published ones and
    # their own); None for everyone's.
    visible: ColumnElement[bool] | None = None


def _check_schedule(values: Mapping[str, Any]) -> None:
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts and ends and ends <= starts:
        raise InvalidSchedule("ends_at must be after starts_at")
    sales_start, sales_end = values.get("sales_start"), values.get("sales_end")
    if sales_start and sales_end and sales_end <= sales_start:
        raise InvalidSchedule("sales_end must be after sales_start")


async def _load_event(uow: UnitOfWork, event_id: uuid.UUID, *, lock: bool = False) -> RowMapping:
    query = select(events).where(events.c.id == event_id)
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).mappings().first()
    if row is None:
        raise EventNotFound()
    return row


async def _load_types(uow: UnitOfWork, event_id: uuid.UUID) -> list[RowMapping]:
    result = await uow.session.execute(
        select(ticket_types).where(ticket_types.c.event_id == event_id).order_by(ticket_types.c.created_at)
    )
    return list(result.mappings().all())


async def _view(uow: UnitOfWork, event_id: uuid.UUID) -> EventView:
    return EventView(await _load_event(uow, event_id), await _load_types(uow, event_id))


async def _announce_change(catalog: Catalog, uow: UnitOfWork, event_id: uuid.UUID) -> EventView:
    """Re-read the event and, if buyers can see it, tell the other services what it looks like now."""
    view = await _view(uow, event_id)
    if view.event["status"] == "published":
        snapshot = event_snapshot(view.event, view.ticket_types)
        await catalog.outbox.add(uow, EventUpdatedV1(event=snapshot), correlation_id=str(event_id))
    return view


async def create_event(catalog: Catalog, values: Mapping[str, Any], created_by: str) -> EventView:
    _check_schedule(values)
    event_id = uuid.uuid4()
    async with catalog.uow_factory() as uow:
        await uow.session.execute(events.insert().values(id=event_id, created_by=created_by, **values))
        await start_staff(catalog, uow, event_id, created_by)
        return await _view(uow, event_id)


async def get_event(catalog: Catalog, event_id: uuid.UUID) -> EventView:
    async with catalog.uow_factory() as uow:
        return await _view(uow, event_id)


async def list_events(
    catalog: Catalog, flt: EventFilter, *, page: int, page_size: int
) -> tuple[list[EventView], int]:
    conditions: list[ColumnElement[bool]] = [events.c.status.in_(flt.statuses)]
    if flt.search:
        pattern = f"%{flt.search}%"
        conditions.append(
            or_(events.c.name.ilike(pattern), events.c.venue.ilike(pattern), events.c.city.ilike(pattern))
        )
    if flt.starts_from:
        conditions.append(events.c.starts_at >= flt.starts_from)
    if flt.starts_to:
        conditions.append(events.c.starts_at <= flt.starts_to)
    if flt.visible is not None:
        conditions.append(flt.visible)
    async with catalog.uow_factory() as uow:
        total = (await uow.session.execute(select(func.count()).where(*conditions))).scalar_one()
        rows = (
            (
                await uow.session.execute(
                    select(events)
                    .where(*conditions)
                    .order_by(events.c.starts_at, events.c.id)
                    .offset((page - 1) * page_size)
                    .limit(page_size)
                )
            )
            .mappings()
            .all()
        )
        ids = [r["id"] for r in rows]
        type_rows = (
            (
                await uow.session.execute(
                    select(ticket_types)
                    .where(ticket_types.c.event_id.in_(ids))
                    .order_by(ticket_types.c.created_at)
                )
            )
            .mappings()
            .all()
        )
    by_event: dict[uuid.UUID, list[RowMapping]] = {i: [] for i in ids}
    for t in type_rows:
        by_event[t["event_id"]].append(t)
    return [EventView(r, by_event[r["id"]]) for r in rows], total


async def update_event(catalog: Catalog, event_id: uuid.UUID, changes: Mapping[str, Any]) -> EventView:
    async with catalog.uow_factory() as uow:
        current = await _load_event(uow, event_id, lock=True)
        if current["status"] == "cancelled":
            raise EventNotEditable("A cancelled event cannot be changed")
        _check_schedule({**current, **changes})
        capacity = changes.get("capacity", current["capacity"])
        if capacity is not None and capacity < current["sold"] + current["held"]:
            raise CapacityBelowCommitted(
                f"capacity cannot drop below the {current['sold'] + current['held']} tickets sold or held"
            )
        if changes:
            await uow.session.execute(
                update(events).where(events.c.id == event_id).values(**changes, updated_at=func.now())
            )
        return await _announce_change(catalog, uow, event_id)


async def publish_event(catalog: Catalog, event_id: uuid.UUID) -> EventView:
    async with catalog.uow_factory() as uow:
        current = await _load_event(uow, event_id, lock=True)
        if current["status"] != "draft":
            raise InvalidTransition(f"Only a draft event can be published; this one is {current['status']}")
        types = await _load_types(uow, event_id)
        if not types:
            raise InvalidTransition("An event needs at least one ticket type before it is published")
        await uow.session.execute(
            update(events).where(events.c.id == event_id).values(status="published", updated_at=func.now())
        )
        view = await _view(uow, event_id)
        snapshot = event_snapshot(view.event, view.ticket_types)
        await catalog.outbox.add(uow, EventPublishedV1(event=snapshot), correlation_id=str(event_id))
        return view


async def cancel_event(catalog: Catalog, event_id: uuid.UUID, reason: str | None) -> EventView:
    async with catalog.uow_factory() as uow:
        current = await _load_event(uow, event_id, lock=True)
        if current["status"] == "cancelled":
            raise InvalidTransition("The event is already cancelled")
        await uow.session.execute(
            update(events)
            .where(events.c.id == event_id)
            .values(status="cancelled", cancellation_reason=reason, updated_at=func.now())
        )
        view = await _view(uow, event_id)
        snapshot = event_snapshot(view.event, view.ticket_types)
        await catalog.outbox.add(
            uow, EventCancelledV1(event=snapshot, reason=reason), correlation_id=str(event_id)
        )
        return view


async def create_ticket_type(catalog: Catalog, event_id: uuid.UUID, values: Mapping[str, Any]) -> RowMapping:
    _check_schedule(values)
    type_id = uuid.uuid4()
    async with catalog.uow_factory() as uow:
        current = await _load_event(uow, event_id, lock=True)
        if current["status"] == "cancelled":
            raise EventNotEditable("A cancelled event cannot get new ticket types")
        # The event's row is locked above, so two new types cannot both pass this check.
        currencies = (
            await uow.session.execute(
                select(ticket_types.c.currency).where(ticket_types.c.event_id == event_id).distinct()
            )
        ).scalars()
        currency = values.get("currency", DEFAULT_CURRENCY)
        other = next((c for c in currencies if c != currency), None)
        if other is not None:
            raise MixedCurrencies(f"this event sells in {other}; every ticket type must use it")
        await uow.session.execute(ticket_types.insert().values(id=type_id, event_id=event_id, **values))
        await _announce_change(catalog, uow, event_id)
        return await _load_type(uow, event_id, type_id)


async def _load_type(
    uow: UnitOfWork, event_id: uuid.UUID, type_id: uuid.UUID, *, lock: bool = False
) -> RowMapping:
    query = select(ticket_types).where(ticket_types.c.id == type_id, ticket_types.c.event_id == event_id)
    if lock:
        query = query.with_for_update()
    row = (await uow.session.execute(query)).mappings().first()
    if row is None:
        raise TicketTypeNotFound()
    return row


async def update_ticket_type(
    catalog: Catalog, event_id: uuid.UUID, type_id: uuid.UUID, changes: Mapping[str, Any]
) -> RowMapping:
    async with catalog.uow_factory() as uow:
        event = await _load_event(uow, event_id, lock=True)
        if event["status"] == "cancelled":
            raise EventNotEditable("A cancelled event cannot be changed")
        current = await _load_type(uow, event_id, type_id, lock=True)
        _check_schedule({**current, **changes})
        committed = current["sold"] + current["held"]
        if "capacity" in changes and changes["capacity"] < committed:
            raise CapacityBelowCommitted(
                f"capacity cannot drop below the {committed} tickets already sold or held"
            )
        if changes:
            await uow.session.execute(
                update(ticket_types)
                .where(ticket_types.c.id == type_id)
                .values(**changes, updated_at=func.now())
            )
        await _announce_change(catalog, uow, event_id)
        return await _load_type(uow, event_id, type_id)


async def event_stats(catalog: Catalog, event_id: uuid.UUID) -> EventView:
    return await get_event(catalog, event_id)

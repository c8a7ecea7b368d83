"""Routes for events: parse, call a use case, shape the answer."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from crowdify.auth import CurrentAdmin, CurrentAdminOrCoordinator, OptionalUser
from crowdify.errors import problem_responses
from crowdify.inputs import Moment, Page, PageSize, Text
from event_svc.api.dependencies import CatalogDep, EventStaffMember
from event_svc.api.schemas import (
    EventCancel,
    EventCreate,
    EventOut,
    EventPage,
    EventStats,
    EventStatus,
    EventUpdate,
)
from event_svc.api.shaping import event_out, event_stats
from event_svc.service import catalog as use_cases
from event_svc.service import staff
from event_svc.service.errors import EventNotFound

router = APIRouter(
    prefix="/api/v1/events", tags=["events"], responses=problem_responses(401, 403, 404, 409, 422)
)

STAFF_ROLES = ("admin", "coordinator")
PUBLIC_STATUSES = ("published",)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EventOut, summary="Create a draft event")
async def create_event(body: EventCreate, catalog: CatalogDep, user: CurrentAdminOrCoordinator) -> EventOut:
    view = await use_cases.create_event(catalog, body.model_dump(), created_by=user.user_id)
    return event_out(view)


@router.get("", response_model=EventPage, summary="Browse events (the public sees published ones)")
async def list_events(
    catalog: CatalogDep,
    user: OptionalUser,
    status_filter: Annotated[EventStatus | None, Query(alias="status")] = None,
    search: Annotated[Text | None, Query(max_length=100)] = None,
    starts_from: Annotated[Moment | None, Query(alias="from")] = None,
    starts_to: Annotated[Moment | None, Query(alias="to")] = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> EventPage:
    is_staff = user is not None and user.role in STAFF_ROLES
    if is_staff:
        statuses: tuple[str, ...] = (status_filter,) if status_filter else ("draft", "published", "cancelled")
    else:
        statuses = PUBLIC_STATUSES if status_filter in (None, "published") else ()
    flt = use_cases.EventFilter(
        statuses=statuses,
        search=search,
        starts_from=starts_from,
        starts_to=starts_to,
        visible=staff.visible_to(user),
    )
    views, total = await use_cases.list_events(catalog, flt, page=page, page_size=page_size)
    return EventPage(items=[event_out(v) for v in views], page=page, page_size=page_size, total=total)


@router.get("/{event_id}", response_model=EventOut, summary="One event with its ticket types")
async def get_event(event_id: UUID, catalog: CatalogDep, user: OptionalUser) -> EventOut:
    view = await use_cases.get_event(catalog, event_id)
    is_staff = user is not None and user.role in STAFF_ROLES
    if view.event["status"] == "draft" and not (
        is_staff and user is not None and await staff.runs_event(catalog, user, event_id)
    ):
        raise EventNotFound()  # a draft is not announced yet: do not confirm it exists
    return event_out(view)


@router.patch("/{event_id}", response_model=EventOut, summary="Change some fields of an event")
async def update_event(
    event_id: UUID, body: EventUpdate, catalog: CatalogDep, user: EventStaffMember
) -> EventOut:
    return event_out(await use_cases.update_event(catalog, event_id, body.changes()))


@router.post("/{event_id}/publish", response_model=EventOut, summary="Put a draft event on sale")
async def publish_event(event_id: UUID, catalog: CatalogDep, user: EventStaffMember) -> EventOut:
    return event_out(await use_cases.publish_event(catalog, event_id))


@router.post("/{event_id}/cancel", response_model=EventOut, summary="Cancel an event (refunds follow)")
async def cancel_event(
    event_id: UUID, catalog: CatalogDep, user: CurrentAdmin, body: EventCancel | None = None
) -> EventOut:
    return event_out(await use_cases.cancel_event(catalog, event_id, body.reason if body else None))


@router.get("/{event_id}/stats", response_model=EventStats, summary="Capacity, sold and held per ticket type")
async def get_stats(event_id: UUID, catalog: CatalogDep, user: EventStaffMember) -> EventStats:
    return event_stats(await use_cases.event_stats(catalog, event_id))

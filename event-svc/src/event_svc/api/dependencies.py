"""FastAPI dependencies of the catalogue API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from crowdify.auth import Principal
from crowdify.event_staff import event_staff_member
from event_svc.adapters.tables import event_staff
from event_svc.service.catalog import Catalog
from event_svc.service.errors import EventNotFound


async def get_catalog(request: Request) -> Catalog:
    catalog: Catalog = request.app.state.catalog
    return catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]

# Admins, and the coordinators on the event's staff; any other coordinator gets the 404 of an
# unknown event.
EventStaffMember = Annotated[
    Principal,
    Depends(
        event_staff_member(event_staff, lambda request: request.app.state.catalog.uow_factory, EventNotFound)
    ),
]

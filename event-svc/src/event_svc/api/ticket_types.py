"""Routes for the ticket types of an event."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from crowdify.errors import problem_responses
from event_svc.api.dependencies import CatalogDep, EventStaffMember
from event_svc.api.schemas import TicketTypeCreate, TicketTypeOut, TicketTypeUpdate
from event_svc.api.shaping import ticket_type_out
from event_svc.service import catalog as use_cases

router = APIRouter(
    prefix="/api/v1/events/{event_id}/ticket-types",
    tags=["ticket types"],
    responses=problem_responses(401, 403, 404, 409, 422),
)


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=TicketTypeOut, summary="Add a ticket type"
)
async def create_ticket_type(
    event_id: UUID, body: TicketTypeCreate, catalog: CatalogDep, user: EventStaffMember
) -> TicketTypeOut:
    row = await use_cases.create_ticket_type(catalog, event_id, body.model_dump())
    return ticket_type_out(row)


@router.patch("/{ticket_type_id}", response_model=TicketTypeOut, summary="Change a ticket type")
async def update_ticket_type(
    event_id: UUID,
    ticket_type_id: UUID,
    body: TicketTypeUpdate,
    catalog: CatalogDep,
    user: EventStaffMember,
) -> TicketTypeOut:
    row = await use_cases.update_ticket_type(catalog, event_id, ticket_type_id, body.changes())
    return ticket_type_out(row)

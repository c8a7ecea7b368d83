"""The staff of an event: who may manage it, read its figures and export it in every service.

Its creator is always on it; an admin adds or removes coordinators. Every change is announced to
the other services (``catalog.event_staff.changed.v1``) and applies there within moments.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from crowdify.auth import CurrentAdmin
from crowdify.errors import problem_responses
from crowdify.inputs import Text
from event_svc.api.dependencies import CatalogDep, EventStaffMember
from event_svc.service import staff as use_cases

router = APIRouter(prefix="/api/v1/events/{event_id}/staff", tags=["staff"])


class StaffOut(BaseModel):
    event_id: UUID
    created_by: str = Field(description="the event's creator, always on its staff")
    coordinators: list[str] = Field(description="user ids an admin added")
    staff: list[str] = Field(description="everyone who runs the event: creator and coordinators")
    revision: int


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coordinators: list[Annotated[Text, Field(min_length=1, max_length=64)]] = Field(
        max_length=100, description="user ids (Supabase) of the coordinators, besides the creator"
    )


def staff_out(found: use_cases.Staff) -> StaffOut:
    return StaffOut(
        event_id=found.event_id,
        created_by=found.created_by,
        coordinators=found.coordinators,
        staff=found.user_ids,
        revision=found.revision,
    )


@router.get(
    "",
    response_model=StaffOut,
    summary="Who runs the event (admins and its own staff)",
    responses=problem_responses(401, 403, 404),
)
async def get_staff(event_id: UUID, catalog: CatalogDep, user: EventStaffMember) -> StaffOut:
    return staff_out(await use_cases.get_staff(catalog, event_id))


@router.put(
    "",
    response_model=StaffOut,
    summary="Set the event's coordinators (admins); the creator stays on its staff",
    responses=problem_responses(401, 403, 404, 422),
)
async def set_staff(event_id: UUID, body: StaffIn, catalog: CatalogDep, admin: CurrentAdmin) -> StaffOut:
    coordinators = [user.strip() for user in body.coordinators if user.strip()]
    return staff_out(await use_cases.set_coordinators(catalog, event_id, coordinators))

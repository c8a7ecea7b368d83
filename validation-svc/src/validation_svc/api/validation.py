"""Door validation routes (docs/api.md "Door validation"): manifest, stats, devices (scan and sync are
in ``api/door.py``).

Wiring: ``app.include_router(validation.router)``; uses ``app.state.validation``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from crowdify.auth import Principal
from crowdify.auth.dependencies import CurrentAdminOrCoordinator, CurrentScanner
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import ProblemError, problem_responses
from crowdify.event_staff import event_staff_member, require_event_in_scope
from crowdify.inputs import INT64_MAX, Page, PageSize, Text
from crowdify.tickets import KeyRing
from validation_svc.adapters.tables import event_staff
from validation_svc.service.devices import (
    check_event_scope,
    device_of,
    ensure_device_active,
    list_devices,
    register_device,
    revoke_device,
)
from validation_svc.service.enrolment import enrolment_link, enrolment_qr_svg
from validation_svc.service.manifest import UnknownEvent, attendance, build_manifest

router = APIRouter(prefix="/api/v1/validation", tags=["validation"])


@dataclass(frozen=True)
class Validation:
    """What the routes need, put on ``app.state.validation`` at start-up."""

    uow_factory: UnitOfWorkFactory
    keyring: KeyRing
    jwt_secret: str
    device_token_ttl_seconds: int
    scanner_url: str


async def _validation(request: Request) -> Validation:
    validation = getattr(request.app.state, "validation", None)
    if not isinstance(validation, Validation):
        raise RuntimeError("app.state.validation is not set")
    return validation


ValidationDep = Annotated[Validation, Depends(_validation)]


def _unknown_event() -> ProblemError:
    return ProblemError("No such event", status=404, code="event_not_found")


# Admins, and coordinators on the event's staff (the 404 of an unknown event for others' events).
EventStaffMember = Annotated[
    Principal,
    Depends(
        event_staff_member(
            event_staff, lambda request: request.app.state.validation.uow_factory, _unknown_event
        )
    ),
]


@router.get(
    "/events/{event_id}/manifest",
    summary="The offline bundle: public keys, tickets, revocations and a cursor (?since= for changes)",
    responses=problem_responses(401, 403, 404, 422),
)
async def manifest(
    event_id: uuid.UUID,
    scanner: CurrentScanner,
    validation: ValidationDep,
    since: Annotated[
        int | None, Query(ge=0, le=INT64_MAX, description="the cursor of an earlier manifest")
    ] = None,
) -> dict[str, Any]:
    check_event_scope(scanner, event_id)
    if scanner.role == "coordinator":
        async with validation.uow_factory() as uow:
            await require_event_in_scope(uow.session, event_staff, scanner, event_id, _unknown_event)
    device = device_of(scanner)
    if device is not None:
        async with validation.uow_factory() as uow:
            await ensure_device_active(uow.session, device)
    try:
        return await build_manifest(validation.uow_factory, validation.keyring, event_id, since)
    except UnknownEvent:
        raise ProblemError("No such event", status=404, code="event_not_found") from None


@router.get(
    "/events/{event_id}/stats",
    summary="Attendance: issued, admitted, inside, by gate, by ticket type and over time",
    responses=problem_responses(401, 403, 404, 422),
)
async def stats(
    event_id: uuid.UUID,
    staff: EventStaffMember,
    validation: ValidationDep,
    bucket_minutes: Annotated[int, Query(ge=1, le=60, description="width of over_time buckets")] = 5,
) -> dict[str, Any]:
    return await attendance(validation.uow_factory, event_id, bucket_minutes)


class DeviceIn(BaseModel):
    name: Text = Field(min_length=1, max_length=100)
    event_id: uuid.UUID


class DeviceOut(BaseModel):
    id: uuid.UUID
    name: str
    event_id: uuid.UUID
    token: str
    expires_at: str
    enrolment_url: str = Field(
        description="Opens the scanner web app with the token in the URL fragment (never sent to a server)"
    )
    enrolment_qr_svg: str = Field(
        description="The enrolment link as a QR code (SVG), for the device's camera"
    )


@router.post(
    "/devices",
    status_code=201,
    response_model=DeviceOut,
    summary="Register a door device: a scanner token for one event, and the enrolment link and QR",
    responses=problem_responses(401, 403, 404, 422),
)
async def create_device(
    body: DeviceIn, staff: CurrentAdminOrCoordinator, validation: ValidationDep
) -> dict[str, Any]:
    async with validation.uow_factory() as uow:
        await require_event_in_scope(uow.session, event_staff, staff, body.event_id, _unknown_event)
    device = await register_device(
        validation.uow_factory,
        secret=validation.jwt_secret,
        name=body.name,
        event_id=body.event_id,
        created_by=staff.user_id,
        ttl_seconds=validation.device_token_ttl_seconds,
    )
    link = enrolment_link(validation.scanner_url, device["token"])
    return {**device, "enrolment_url": link, "enrolment_qr_svg": enrolment_qr_svg(link)}


class DeviceListed(BaseModel):
    id: uuid.UUID
    name: str = Field(description="The label given at registration (a gate or a volunteer)")
    event_id: uuid.UUID
    gate: str | None = Field(description="The gate of the device's last scan; null before its first")
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime | None = Field(description="When the device last scanned; null before its first")
    revoked_at: datetime | None
    revoked: bool


class DevicePage(BaseModel):
    items: list[DeviceListed]
    page: int
    page_size: int
    total: int


@router.get(
    "/events/{event_id}/devices",
    response_model=DevicePage,
    summary="An event's door devices, newest first: label, last gate and scan, expiry, revoked or not",
    description="The tokens are never listed: a device's enrolment QR is shown once, when it is registered.",
    responses=problem_responses(401, 403, 404, 422),
)
async def event_devices(
    event_id: uuid.UUID,
    staff: EventStaffMember,
    validation: ValidationDep,
    page: Page = 1,
    page_size: PageSize = 50,
) -> DevicePage:
    items, total = await list_devices(validation.uow_factory, event_id, page=page, page_size=page_size)
    return DevicePage.model_validate({"items": items, "page": page, "page_size": page_size, "total": total})


@router.delete(
    "/devices/{device_id}",
    status_code=204,
    summary="Revoke a door device: its token is refused from now on",
    responses=problem_responses(401, 403, 404),
)
async def delete_device(
    device_id: uuid.UUID, staff: CurrentAdminOrCoordinator, validation: ValidationDep
) -> None:
    await revoke_device(validation.uow_factory, device_id, staff)

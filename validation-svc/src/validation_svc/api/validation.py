"""Door validation routes (API.md "Door validation"): scan, manifest, sync, stats, devices.

Wiring: ``app.include_router(validation.router)``; uses ``app.state.validation``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from crowdify.auth.dependencies import CurrentAdminOrCoordinator, CurrentScanner
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import ProblemError, problem_responses
from crowdify.tickets import KeyRing
from validation_svc.service.devices import (
    check_event_scope,
    device_of,
    ensure_device_active,
    register_device,
    revoke_device,
)
from validation_svc.service.manifest import UnknownEvent, attendance, build_manifest
from validation_svc.service.scanning import OfflineScan, Scanner, ScanRequest, Synchronizer

router = APIRouter(prefix="/api/v1/validation", tags=["validation"])


@dataclass(frozen=True)
class Validation:
    """What the routes need, put on ``app.state.validation`` at start-up."""

    uow_factory: UnitOfWorkFactory
    keyring: KeyRing
    scanner: Scanner
    synchronizer: Synchronizer
    jwt_secret: str
    device_token_ttl_seconds: int


async def _validation(request: Request) -> Validation:
    validation = getattr(request.app.state, "validation", None)
    if not isinstance(validation, Validation):
        raise RuntimeError("app.state.validation is not set")
    return validation


ValidationDep = Annotated[Validation, Depends(_validation)]


class ScanIn(BaseModel):
    qr_payload: str = Field(max_length=512)
    event_id: uuid.UUID
    gate: str | None = Field(default=None, max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    direction: Literal["in", "out"] = "in"
    scan_id: str | None = Field(default=None, min_length=1, max_length=64)


class ChildOut(BaseModel):
    nombre: str


class ScannedTicket(BaseModel):
    id: uuid.UUID
    ticket_type: str | None
    ticket_type_id: uuid.UUID
    holder_name: str
    child: ChildOut | None = None


class ScanOut(BaseModel):
    result: Literal["admitted", "already_used", "invalid", "revoked", "wrong_event", "exited", "not_inside"]
    ticket: ScannedTicket | None
    first_entry_at: str | None
    first_entry_gate: str | None
    message: str


@router.post(
    "/scan",
    response_model=ScanOut,
    summary="Decide one scan at the door: exactly one of any number of concurrent scans is admitted",
    responses=problem_responses(401, 403, 422),
)
async def scan(body: ScanIn, scanner: CurrentScanner, validation: ValidationDep) -> dict[str, Any]:
    check_event_scope(scanner, body.event_id)
    return await validation.scanner.scan(
        ScanRequest(
            qr_payload=body.qr_payload,
            event_id=body.event_id,
            direction=body.direction,
            gate=body.gate,
            device_id=body.device_id,
            scan_id=body.scan_id,
        ),
        scanner=scanner.user_id,
        device=device_of(scanner),
    )


class OfflineScanIn(BaseModel):
    scan_id: str = Field(min_length=1, max_length=64)
    qr_payload: str = Field(max_length=512)
    gate: str | None = Field(default=None, max_length=64)
    direction: Literal["in", "out"] = "in"
    scanned_at: AwareDatetime
    local_result: str | None = Field(default=None, max_length=16)


class SyncIn(BaseModel):
    device_id: str = Field(min_length=1, max_length=64)
    event_id: uuid.UUID
    scans: list[OfflineScanIn] = Field(max_length=5000)


class SyncResult(BaseModel):
    scan_id: str
    result: str
    conflict: bool
    first_entry_at: str | None
    first_entry_gate: str | None


class SyncOut(BaseModel):
    results: list[SyncResult]


@router.post(
    "/sync",
    response_model=SyncOut,
    summary="Upload scans made offline: each gets the authoritative verdict (the earliest scan wins)",
    responses=problem_responses(401, 403, 422),
)
async def sync(body: SyncIn, scanner: CurrentScanner, validation: ValidationDep) -> dict[str, Any]:
    check_event_scope(scanner, body.event_id)
    batch = [
        OfflineScan(
            scan_id=item.scan_id,
            qr_payload=item.qr_payload,
            direction=item.direction,
            scanned_at=item.scanned_at,
            gate=item.gate,
            local_result=item.local_result,
        )
        for item in body.scans
    ]
    results = await validation.synchronizer.sync(
        body.event_id, body.device_id, batch, scanner.user_id, device=device_of(scanner)
    )
    return {"results": results}


@router.get(
    "/events/{event_id}/manifest",
    summary="The offline bundle: public keys, tickets, revocations and a cursor (?since= for changes)",
    responses=problem_responses(401, 403, 404, 422),
)
async def manifest(
    event_id: uuid.UUID,
    scanner: CurrentScanner,
    validation: ValidationDep,
    since: Annotated[int | None, Query(ge=0, description="the cursor of an earlier manifest")] = None,
) -> dict[str, Any]:
    check_event_scope(scanner, event_id)
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
    responses=problem_responses(401, 403, 422),
)
async def stats(
    event_id: uuid.UUID,
    staff: CurrentAdminOrCoordinator,
    validation: ValidationDep,
    bucket_minutes: Annotated[int, Query(ge=1, le=60, description="width of over_time buckets")] = 5,
) -> dict[str, Any]:
    return await attendance(validation.uow_factory, event_id, bucket_minutes)


class DeviceIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    event_id: uuid.UUID


class DeviceOut(BaseModel):
    id: uuid.UUID
    name: str
    event_id: uuid.UUID
    token: str
    expires_at: str


@router.post(
    "/devices",
    status_code=201,
    response_model=DeviceOut,
    summary="Register a door device: a backend scanner token that can only act on one event",
    responses=problem_responses(401, 403, 422),
)
async def create_device(
    body: DeviceIn, staff: CurrentAdminOrCoordinator, validation: ValidationDep
) -> dict[str, Any]:
    return await register_device(
        validation.uow_factory,
        secret=validation.jwt_secret,
        name=body.name,
        event_id=body.event_id,
        created_by=staff.user_id,
        ttl_seconds=validation.device_token_ttl_seconds,
    )


@router.delete(
    "/devices/{device_id}",
    status_code=204,
    summary="Revoke a door device: its token is refused from now on",
    responses=problem_responses(401, 403, 404),
)
async def delete_device(
    device_id: uuid.UUID, staff: CurrentAdminOrCoordinator, validation: ValidationDep
) -> None:
    await revoke_device(validation.uow_factory, device_id)

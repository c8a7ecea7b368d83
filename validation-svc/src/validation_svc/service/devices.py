"""Door devices: a backend scanner token scoped to one event, revocable.

The token is a backend token (role ``scanner``) with the door-device audience, which only
validation-svc accepts (``crowdify.auth.issue_device_token``), and two extra claims, ``event_id``
and ``device_id``. Scoping needs no database (the claim is signed); revocation is checked against
``devices`` inside the transaction that decides a scan, so an invalid code still never touches
the database. Every other service refuses the token whatever its state.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from crowdify.auth import Principal, issue_device_token
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import Forbidden, ProblemError, Unauthorized
from crowdify.event_staff import in_scope
from validation_svc.adapters.tables import devices, event_staff, scans


def device_of(principal: Principal) -> uuid.UUID | None:
    """The device a token was issued for, or None for a person's token."""
    value = principal.claims.get("device_id")
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        raise Unauthorized("Malformed device token") from None


def check_event_scope(principal: Principal, event_id: uuid.UUID) -> None:
    """A device token for event A may not act on event B."""
    scoped = principal.claims.get("event_id")
    if scoped is not None and str(scoped) != str(event_id):
        raise Forbidden("This device token is for another event", code="wrong_event_scope")


async def ensure_device_active(session: AsyncSession, device_id: uuid.UUID | None) -> None:
    if device_id is None:
        return
    revoked_at = (
        await session.execute(select(devices.c.revoked_at).where(devices.c.id == device_id))
    ).first()
    if revoked_at is None or revoked_at[0] is not None:
        raise Unauthorized("This device token was revoked", reason="device_revoked")


async def register_device(
    uow_factory: UnitOfWorkFactory,
    *,
    secret: str,
    name: str,
    event_id: uuid.UUID,
    created_by: str,
    ttl_seconds: int,
) -> dict[str, Any]:
    device_id = uuid.uuid4()
    expires_at = datetime.now(UTC) + timedelta(seconds=ttl_seconds)
    async with uow_factory() as uow:
        await uow.session.execute(
            devices.insert().values(
                id=device_id, name=name, event_id=event_id, created_by=created_by, expires_at=expires_at
            )
        )
    token = issue_device_token(
        secret, device_id=str(device_id), event_id=str(event_id), ttl_seconds=ttl_seconds
    )
    return {
        "id": str(device_id),
        "name": name,
        "event_id": str(event_id),
        "token": token,
        "expires_at": expires_at.isoformat(),
    }


async def revoke_device(uow_factory: UnitOfWorkFactory, device_id: uuid.UUID, by: Principal) -> None:
    """Revoke a device of an event ``by`` runs (admins: any); any other is "no such device"."""
    async with uow_factory() as uow:
        result = await uow.session.execute(
            update(devices)
            .where(devices.c.id == device_id, in_scope(event_staff, by, devices.c.event_id))
            .values(revoked_at=datetime.now(UTC))
            .returning(devices.c.id)
        )
        if result.first() is None:
            raise ProblemError("No such device", status=404, code="device_not_found")


async def list_devices(
    uow_factory: UnitOfWorkFactory, event_id: uuid.UUID, *, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """An event's devices, newest first, with when and at which gate each last scanned (a device
    token's scans are logged under ``device:<id>``; none yet: unknown)."""
    last_scan = (
        select(scans.c.scanned_at, scans.c.gate)
        .where(scans.c.scanner == func.concat("device:", devices.c.id))
        .order_by(scans.c.scanned_at.desc())
        .limit(1)
        .lateral("last_scan")
    )
    async with uow_factory() as uow:
        total = (
            await uow.session.execute(
                select(func.count()).select_from(devices).where(devices.c.event_id == event_id)
            )
        ).scalar_one()
        rows = (
            await uow.session.execute(
                select(devices, last_scan.c.scanned_at.label("last_seen_at"), last_scan.c.gate)
                .select_from(devices.outerjoin(last_scan, true()))
                .where(devices.c.event_id == event_id)
                .order_by(devices.c.created_at.desc(), devices.c.id)
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        ).mappings()
        return [_device_row(row) for row in rows], total


def _device_row(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "event_id": row["event_id"],
        "gate": row["gate"],
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "last_seen_at": row["last_seen_at"],
        "revoked_at": row["revoked_at"],
        "revoked": row["revoked_at"] is not None,
    }

"""Test helpers: issue tickets through the real messages, scan and read manifests over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from crowdify.contracts.base import Contract
from crowdify.contracts.catalog import EventPublishedV1, EventStaffChangedV1
from crowdify.contracts.common import EventSnapshot, TicketTypeSnapshot
from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.testing.polling import wait_until
from crowdify.tickets import TicketClaims, TicketSigningSettings, sign_ticket


def event_snapshot(
    event_id: uuid.UUID, *, reentry_allowed: bool = False, status: str = "published"
) -> EventSnapshot:
    return EventSnapshot(
        id=event_id,
        name="Festival de prueba",
        venue="Teatro Caupolicán",
        starts_at=datetime.now(UTC) + timedelta(days=1),
        status=status,
        hold_minutes=10,
        reentry_allowed=reentry_allowed,
        ticket_types=(
            TicketTypeSnapshot(
                id=uuid.uuid4(), name="General", price=10000, currency="CLP", capacity=1000, max_per_order=10
            ),
        ),
    )


class Door:
    """Issues tickets through the real messages and waits until the worker has registered them."""

    def __init__(
        self,
        publish: Callable[[Contract], Awaitable[None]],
        client: httpx.AsyncClient,
        headers: dict[str, str],
        organiser: dict[str, str],
    ) -> None:
        self.publish = publish
        self.client = client
        self.headers = headers
        # A coordinator on the staff of every event this door makes (user "door-1").
        self.organiser = organiser
        self.key = TicketSigningSettings().ticket_signing_key

    async def event(
        self, *, reentry_allowed: bool = False, staff: tuple[str, ...] = ("door-1",)
    ) -> uuid.UUID:
        event_id = uuid.uuid4()
        await self.publish(EventPublishedV1(event=event_snapshot(event_id, reentry_allowed=reentry_allowed)))
        await self.publish(
            EventStaffChangedV1(event_id=event_id, staff=staff, revision=1, changed_at=datetime.now(UTC))
        )
        if "door-1" in staff:
            await self.wait_staffed(event_id)
        return event_id

    async def wait_staffed(self, event_id: uuid.UUID) -> None:
        async def known() -> bool:
            url = f"/api/v1/validation/events/{event_id}/stats"
            return (await self.client.get(url, headers=self.organiser)).status_code == 200

        await wait_until(known, message=f"the staff of event {event_id} known")

    def code(self, ticket_id: uuid.UUID, event_id: uuid.UUID, type_id: uuid.UUID, serial: int = 0) -> str:
        return sign_ticket(TicketClaims(ticket_id, event_id, type_id, datetime.now(UTC), serial), self.key)

    async def issue(
        self, event_id: uuid.UUID, count: int = 1, *, child_nombre: str | None = None, wait: bool = True
    ) -> tuple[uuid.UUID, list[tuple[uuid.UUID, str]]]:
        order_id = uuid.uuid4()
        type_id = uuid.uuid4()
        issued = []
        for _ in range(count):
            ticket_id = uuid.uuid4()
            issued.append((ticket_id, self.code(ticket_id, event_id, type_id)))
        await self.publish(
            TicketsIssuedV1(
                order_id=order_id,
                event_id=event_id,
                buyer_email="ana@example.com",
                buyer_name="Ana Pérez",
                tickets=tuple(
                    IssuedTicket(
                        id=ticket_id,
                        ticket_type_id=type_id,
                        ticket_type="General",
                        holder_name=f"Asistente {n}",
                        qr_payload=code,
                        child_nombre=child_nombre,
                    )
                    for n, (ticket_id, code) in enumerate(issued)
                ),
                issued_at=datetime.now(UTC),
            )
        )
        if wait:
            await self.wait_registered(event_id, issued[-1][0])
        return order_id, issued

    async def reissue(self, order_id: uuid.UUID, event_id: uuid.UUID, ticket_id: uuid.UUID) -> str:
        """A new code (serial 1) for an issued ticket, published as purchase-svc re-issues one;
        not waited for."""
        type_id = uuid.uuid4()
        new_code = self.code(ticket_id, event_id, type_id, serial=1)
        await self.publish(
            TicketsIssuedV1(
                order_id=order_id,
                event_id=event_id,
                buyer_email="ana@example.com",
                buyer_name="Ana",
                tickets=(
                    IssuedTicket(
                        id=ticket_id, ticket_type_id=type_id, holder_name="Ana", qr_payload=new_code
                    ),
                ),
                issued_at=datetime.now(UTC),
            )
        )
        return new_code

    async def wait_registered(self, event_id: uuid.UUID, ticket_id: uuid.UUID) -> None:
        async def present() -> bool:
            manifest = await self.manifest(event_id)
            return any(t["id"] == str(ticket_id) for t in manifest.get("tickets", []))

        await wait_until(present, message=f"ticket {ticket_id} registered")

    async def manifest(self, event_id: uuid.UUID, since: str | None = None) -> dict[str, Any]:
        params = {"since": since} if since is not None else {}
        response = await self.client.get(
            f"/api/v1/validation/events/{event_id}/manifest", params=params, headers=self.headers
        )
        return dict(response.json())

    async def scan(self, code: str, event_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/validation/scan",
            json={"qr_payload": code, "event_id": str(event_id), **extra},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


async def scans_logged(tables: AsyncEngine, event_id: uuid.UUID) -> int:
    """How many scans of ``event_id`` reached the database (``tables``: the fixture's engine)."""
    async with tables.connect() as conn:
        count = await conn.scalar(
            text("SELECT count(*) FROM validation.scans WHERE event_id = :event_id"), {"event_id": event_id}
        )
    return int(count or 0)


async def register_device(
    client: httpx.AsyncClient, staff: dict[str, str], event_id: uuid.UUID, name: str = "Puerta"
) -> dict[str, str]:
    """A door device for ``event_id``; its ``Authorization`` header."""
    response = await client.post(
        "/api/v1/validation/devices", json={"name": name, "event_id": str(event_id)}, headers=staff
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}

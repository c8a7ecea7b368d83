"""What a ticket page shows: plain values, no I/O, so rendering is a pure function of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class EventDetails:
    name: str | None
    venue: str | None
    city: str | None
    starts_at: datetime | None
    # IANA name; dates are printed in the event's own time, whatever the server's.
    timezone: str


@dataclass(frozen=True)
class TicketPage:
    ticket_id: UUID
    ticket_type: str | None
    holder_name: str
    child_nombre: str | None
    qr_payload: str


@dataclass(frozen=True)
class OrderToRender:
    order_id: UUID
    event: EventDetails
    tickets: tuple[TicketPage, ...]


@dataclass(frozen=True)
class RenderedDocuments:
    """The order's document (a page per ticket, in order) and one document per ticket."""

    order: bytes
    tickets: tuple[tuple[UUID, bytes], ...]

"""Messages about ticket documents, published by pdf-svc."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crowdify.contracts.base import Contract, register


class StoredDocument(BaseModel):
    """One PDF in object storage. Readers fetch it by ``key`` (claim check): the bytes never travel
    on the bus."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key: str = Field(description="object key in the ticket documents bucket")
    sha256: str = Field(description="hex digest of the stored bytes")
    size: int = Field(ge=0, description="bytes")
    pages: int = Field(ge=1)


class RenderedTicket(StoredDocument):
    ticket_id: UUID


@register
class TicketsRenderedV1(Contract):
    name = "pdf.tickets.rendered"
    version = 1
    producer = "pdf-svc"
    consumers = ("notification-svc",)
    summary = (
        "The PDFs of an order's tickets are in object storage (one for the order, a page per ticket, "
        "and one per ticket); the tickets email can attach them."
    )

    order_id: UUID
    event_id: UUID
    bucket: str
    order_document: StoredDocument
    tickets: tuple[RenderedTicket, ...] = Field(min_length=1)
    rendered_at: datetime
    revision: int = Field(default=1, ge=1, description="bumped each time the order is rendered again")

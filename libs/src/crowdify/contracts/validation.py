"""Messages published by validation-svc about the door."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import Field

from crowdify.contracts.base import Contract, register


@register
class TicketAdmittedV1(Contract):
    name = "validation.ticket.admitted"
    version = 1
    producer = "validation-svc"
    consumers = ("admin-svc",)
    summary = (
        "A ticket was let in for the first time (online or from an offline device's sync); "
        "announced shortly after the scan, once per ticket."
    )

    ticket_id: UUID
    event_id: UUID
    ticket_type_id: UUID | None = None
    gate: str | None = Field(default=None, description="the gate of the first entry, as the device named it")
    admitted_at: datetime

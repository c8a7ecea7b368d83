"""Messages published by validation-svc about the door."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crowdify.contracts.base import Contract, register

# Most admissions one TicketsAdmittedV1 carries; the announcer splits a larger claim. Bounded so a
# message stays small for the broker and a consumer's single statement stays cheap (~150 bytes
# of JSON each).
ADMISSIONS_PER_MESSAGE = 1000


@register
class TicketAdmittedV1(Contract):
    name = "validation.ticket.admitted"
    version = 1
    producer = "validation-svc"
    consumers = ("admin-svc",)
    summary = (
        "Superseded by validation.tickets.admitted.v1 (no longer published; still consumed, for "
        "messages sent before the change). A ticket was let in for the first time (online or from "
        "an offline device's sync); announced shortly after the scan, once per ticket."
    )

    ticket_id: UUID
    event_id: UUID
    ticket_type_id: UUID | None = None
    gate: str | None = Field(default=None, description="the gate of the first entry, as the device named it")
    admitted_at: datetime


class Admission(BaseModel):
    """One ticket's first entry, as one item of :class:`TicketsAdmittedV1`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    ticket_id: UUID
    ticket_type_id: UUID | None = None
    gate: str | None = Field(default=None, description="the gate of the first entry, as the device named it")
    admitted_at: datetime


@register
class TicketsAdmittedV1(Contract):
    name = "validation.tickets.admitted"
    version = 1
    producer = "validation-svc"
    consumers = ("admin-svc",)
    summary = (
        "Tickets of one event were let in for the first time (online or from an offline device's "
        "sync); announced in batches shortly after the scans, each first entry once (again if a "
        "later sync shows an earlier one), in order of admission."
    )

    event_id: UUID
    admissions: tuple[Admission, ...] = Field(
        min_length=1,
        max_length=ADMISSIONS_PER_MESSAGE,
        description="in order of admitted_at; of a ticket listed more than once, the earliest counts",
    )

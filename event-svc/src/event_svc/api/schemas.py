"""Request and response bodies of the catalogue API (docs/api.md, "Events and ticket types")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from crowdify.inputs import Moment, NonNegativeInt32, Text

EventStatus = Literal["draft", "published", "cancelled"]
Name = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
TypeName = Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Currency = Annotated[Text, StringConstraints(pattern=r"^[A-Z]{3}$")]


def _known_timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError("unknown IANA time zone")
    return value


TimeZone = Annotated[Text, AfterValidator(_known_timezone)]

MAX_HELD_DESCRIPTION = (
    "tickets one buyer may hold unpaid at once for this event (and so order at once); "
    "null: the largest max_per_order of its ticket types"
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventCreate(_Input):
    name: Name
    description: Text | None = Field(default=None, max_length=5000)
    venue: Text | None = Field(default=None, max_length=200)
    city: Text | None = Field(default=None, max_length=120)
    starts_at: Moment
    ends_at: Moment | None = None
    timezone: TimeZone = "America/Santiago"
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    hold_minutes: int = Field(default=10, ge=1, le=120)
    capacity: NonNegativeInt32 | None = None
    reentry_allowed: bool = False
    max_held_per_buyer: int | None = Field(default=None, ge=1, le=1000, description=MAX_HELD_DESCRIPTION)


class EventUpdate(_Input):
    name: Name | None = None
    description: Text | None = Field(default=None, max_length=5000)
    venue: Text | None = Field(default=None, max_length=200)
    city: Text | None = Field(default=None, max_length=120)
    starts_at: Moment | None = None
    ends_at: Moment | None = None
    timezone: TimeZone | None = None
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    hold_minutes: int | None = Field(default=None, ge=1, le=120)
    capacity: NonNegativeInt32 | None = None
    reentry_allowed: bool | None = None
    max_held_per_buyer: int | None = Field(default=None, ge=1, le=1000, description=MAX_HELD_DESCRIPTION)

    def changes(self) -> dict[str, Any]:
        """Fields the client sent. ``null`` clears an optional field; required ones stay set."""
        sent = self.model_dump(exclude_unset=True)
        never_null = {"name", "starts_at", "timezone", "hold_minutes", "reentry_allowed"}
        return {k: v for k, v in sent.items() if v is not None or k not in never_null}


class EventCancel(_Input):
    reason: Text | None = Field(default=None, max_length=500)


class TicketTypeCreate(_Input):
    name: TypeName
    description: Text | None = Field(default=None, max_length=2000)
    price: NonNegativeInt32 = Field(description="minor units of currency (CLP has none: 15000 is $15.000)")
    currency: Currency = "CLP"
    capacity: NonNegativeInt32
    max_per_order: int = Field(default=10, ge=1, le=100)
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    requires_child_details: bool = False


class TicketTypeUpdate(_Input):
    name: TypeName | None = None
    description: Text | None = Field(default=None, max_length=2000)
    price: NonNegativeInt32 | None = None
    capacity: NonNegativeInt32 | None = None
    max_per_order: int | None = Field(default=None, ge=1, le=100)
    sales_start: Moment | None = None
    sales_end: Moment | None = None
    requires_child_details: bool | None = None

    def changes(self) -> dict[str, Any]:
        sent = self.model_dump(exclude_unset=True)
        never_null = {"name", "price", "capacity", "max_per_order", "requires_child_details"}
        return {k: v for k, v in sent.items() if v is not None or k not in never_null}


class TicketTypeOut(BaseModel):
    id: UUID
    event_id: UUID
    name: str
    description: str | None
    price: int
    currency: str
    capacity: int
    max_per_order: int
    sales_start: datetime | None
    sales_end: datetime | None
    requires_child_details: bool
    available: int


class EventOut(BaseModel):
    id: UUID
    name: str
    description: str | None
    venue: str | None
    city: str | None
    starts_at: datetime
    ends_at: datetime | None
    timezone: str
    status: EventStatus
    sales_start: datetime | None
    sales_end: datetime | None
    hold_minutes: int
    capacity: int | None
    reentry_allowed: bool
    max_held_per_buyer: int | None
    cancellation_reason: str | None = Field(
        default=None, description="why the event was cancelled, as its organiser wrote it (cancelled events)"
    )
    created_at: datetime
    updated_at: datetime
    ticket_types: list[TicketTypeOut]


class EventPage(BaseModel):
    items: list[EventOut]
    page: int
    page_size: int
    total: int


class TicketTypeStats(BaseModel):
    ticket_type_id: UUID
    name: str
    capacity: int
    sold: int
    held: int
    available: int


class EventStats(BaseModel):
    event_id: UUID
    capacity: int | None
    sold: int
    held: int
    ticket_types: list[TicketTypeStats]

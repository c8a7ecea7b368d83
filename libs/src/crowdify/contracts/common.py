"""Value shapes shared by several contracts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class OrderLine(_Frozen):
    """Tickets of one type asked for in an order."""

    ticket_type_id: UUID
    quantity: int = Field(gt=0)


class PricedLine(_Frozen):
    """Tickets of one type held for an order, at the price that applies to it."""

    ticket_type_id: UUID
    ticket_type_name: str
    quantity: int = Field(gt=0)
    unit_price: int = Field(ge=0, description="minor units of currency")
    currency: str = "CLP"


class TicketTypeSnapshot(_Frozen):
    id: UUID
    name: str
    description: str | None = None
    price: int
    currency: str
    capacity: int
    max_per_order: int
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    requires_child_details: bool = False


class EventSnapshot(_Frozen):
    """What other services need to know about an event, so they never call event-svc back."""

    id: UUID
    name: str
    description: str | None = None
    venue: str | None = None
    city: str | None = None
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str = "America/Santiago"
    status: str
    sales_start: datetime | None = None
    sales_end: datetime | None = None
    hold_minutes: int
    capacity: int | None = None
    reentry_allowed: bool = False
    ticket_types: tuple[TicketTypeSnapshot, ...] = ()
    # Tickets one buyer may hold unpaid at once for this event; None: see buyer_hold_cap.
    max_held_per_buyer: int | None = None


def buyer_hold_cap(max_held_per_buyer: int | None, max_per_order: Iterable[int]) -> int:
    """How many tickets one buyer may hold unpaid at once for an event (and so carry in one order).

    The event's own ``max_held_per_buyer`` when set, else the largest ``max_per_order`` of its
    ticket types: a buyer can always place the largest order the event allows, but cannot stack
    unpaid orders to take the event off sale.
    """
    if max_held_per_buyer is not None:
        return max_held_per_buyer
    return max(max_per_order, default=0)

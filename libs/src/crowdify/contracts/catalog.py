"""Messages published by event-svc (the catalogue context)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crowdify.contracts.base import Contract, register
from crowdify.contracts.common import EventSnapshot, OrderLine, PricedLine

RejectionReason = Literal["sold_out", "sales_closed", "event_unavailable", "limit_exceeded"]

# Most decisions one HoldsDecidedV1 carries; event-svc splits a larger batch. Bounded so a message
# stays small for the broker (about 600 bytes of JSON per held order of one line).
DECISIONS_PER_MESSAGE = 500


@register
class EventPublishedV1(Contract):
    name = "catalog.event.published"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "validation-svc", "admin-svc")
    summary = "An event went on sale (draft -> published); carries the whole event with its ticket types."

    event: EventSnapshot


@register
class EventUpdatedV1(Contract):
    name = "catalog.event.updated"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "validation-svc", "admin-svc")
    summary = "A published event or one of its ticket types changed; carries the new whole event."

    event: EventSnapshot


@register
class EventCancelledV1(Contract):
    name = "catalog.event.cancelled"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "validation-svc", "notification-svc", "admin-svc")
    summary = "An event was cancelled: every paid order is to be refunded and every ticket revoked."

    event: EventSnapshot
    reason: str | None = None


class HeldOrder(BaseModel):
    """One order whose tickets are held, as one item of :class:`HoldsDecidedV1`; also the whole of
    the per-order ``catalog.tickets.reserved.v1`` that the batch message replaced."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: UUID
    event_id: UUID
    hold_expires_at: datetime
    lines: tuple[PricedLine, ...]
    total: int
    currency: str
    event_name: str
    event_starts_at: datetime
    venue: str | None = None


class RefusedOrder(BaseModel):
    """One order that could not be held, as one item of :class:`HoldsDecidedV1`; also the whole
    of the per-order ``catalog.reservation.rejected.v1`` that the batch message replaced."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    order_id: UUID
    event_id: UUID
    reason: RejectionReason
    detail: str | None = None


@register
class TicketsReservedV1(HeldOrder, Contract):
    name = "catalog.tickets.reserved"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "admin-svc")
    summary = (
        "Superseded by catalog.holds.decided.v1 (no longer published; still consumed, for messages "
        "sent before the change). The tickets of an order are held until hold_expires_at, at the "
        "prices listed."
    )


@register
class ReservationRejectedV1(RefusedOrder, Contract):
    name = "catalog.reservation.rejected"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "admin-svc")
    summary = (
        "Superseded by catalog.holds.decided.v1 (no longer published; still consumed, for messages "
        "sent before the change). The tickets of an order could not be held; nothing is held for it."
    )


@register
class HoldsDecidedV1(Contract):
    name = "catalog.holds.decided"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "admin-svc")
    summary = (
        "A batch of placed orders was decided together: each order either held until "
        "hold_expires_at at the prices listed, or refused with nothing held. Every order is "
        "announced once, in the batch that first decided it; the holds this batch released first "
        "are announced just before it (catalog.hold.expired.v1)."
    )

    held: tuple[HeldOrder, ...] = Field(default=(), max_length=DECISIONS_PER_MESSAGE)
    refused: tuple[RefusedOrder, ...] = Field(default=(), max_length=DECISIONS_PER_MESSAGE)

    @model_validator(mode="after")
    def _decides_something(self) -> HoldsDecidedV1:
        if not self.held and not self.refused:
            raise ValueError("a batch of decisions decides at least one order")
        return self

    @property
    def decisions(self) -> tuple[HeldOrder | RefusedOrder, ...]:
        """Every order the batch decided: the held ones, then the refused ones."""
        return (*self.held, *self.refused)


@register
class HoldExpiredV1(Contract):
    name = "catalog.hold.expired"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "admin-svc")
    summary = "An unpaid hold reached hold_expires_at; its tickets are back on sale."

    order_id: UUID
    event_id: UUID
    expired_at: datetime
    lines: tuple[OrderLine, ...]


@register
class SaleConfirmedV1(Contract):
    name = "catalog.sale.confirmed"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc",)
    summary = "The tickets of a paid order are counted as sold (from its hold, or taken again after expiry)."

    order_id: UUID
    event_id: UUID
    from_expired_hold: bool = False


@register
class SaleRefusedV1(Contract):
    name = "catalog.sale.refused"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc",)
    summary = "A paid order's hold had expired and its tickets could not be taken again: refund it."

    order_id: UUID
    event_id: UUID
    reason: RejectionReason


@register
class EventStaffChangedV1(Contract):
    name = "catalog.event_staff.changed"
    version = 1
    producer = "event-svc"
    consumers = ("purchase-svc", "validation-svc", "admin-svc")
    summary = (
        "Who runs an event changed (its creator plus the coordinators an admin added): the whole "
        "list, with a revision that grows with every change (consumers keep the highest)."
    )

    event_id: UUID
    staff: tuple[str, ...] = Field(description="user ids (JWT `sub`) of the event's staff")
    revision: int = Field(ge=1, description="grows by one with every change of this event's staff")
    changed_at: datetime

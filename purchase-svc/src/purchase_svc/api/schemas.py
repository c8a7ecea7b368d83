"""Request and response bodies of the purchases API (docs/api.md, "Purchases and tickets")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from crowdify.inputs import PersonName, Text
from crowdify.rut import Rut
from purchase_svc.service import commands


def _in_the_past(value: date) -> date:
    if value >= date.today():
        raise ValueError("fecha_nacimiento debe ser una fecha pasada")
    return value


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Buyer(_Input):
    name: PersonName
    email: Text | None = Field(
        default=None,
        max_length=320,
        description="Optional; if sent, it must be the account's verified address, where every email goes",
    )


class ChildDetails(_Input):
    nombre: PersonName
    rut: Rut
    fecha_nacimiento: Annotated[date, AfterValidator(_in_the_past)]

    def to_command(self) -> commands.ChildDetails:
        return commands.ChildDetails(nombre=self.nombre, rut=self.rut, fecha_nacimiento=self.fecha_nacimiento)


class Attendee(_Input):
    name: PersonName
    child: ChildDetails | None = None

    def to_command(self) -> commands.Attendee:
        return commands.Attendee(name=self.name, child=self.child.to_command() if self.child else None)


class OrderItemIn(_Input):
    ticket_type_id: UUID
    quantity: int = Field(gt=0, le=100)
    attendees: list[Attendee] | None = None

    @model_validator(mode="after")
    def _one_attendee_per_ticket(self) -> OrderItemIn:
        if self.attendees is not None and len(self.attendees) != self.quantity:
            raise ValueError("attendees must list one person per ticket")
        return self

    def to_command(self) -> commands.OrderItem:
        people = tuple(a.to_command() for a in self.attendees) if self.attendees is not None else None
        return commands.OrderItem(
            ticket_type_id=self.ticket_type_id, quantity=self.quantity, attendees=people
        )


class OrderIn(_Input):
    event_id: UUID
    buyer: Buyer
    items: list[OrderItemIn] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _one_line_per_type(self) -> OrderIn:
        ids = [item.ticket_type_id for item in self.items]
        if len(ids) != len(set(ids)):
            raise ValueError("each ticket type may appear once; add to its quantity instead")
        return self

    def to_command(self) -> commands.PlaceOrder:
        return commands.PlaceOrder(
            event_id=self.event_id,
            buyer_name=self.buyer.name,
            buyer_email=self.buyer.email,
            items=tuple(item.to_command() for item in self.items),
        )


class OrderItemOut(BaseModel):
    ticket_type_id: UUID
    quantity: int
    unit_price: int | None


def ticket_pdf_url(ticket_id: UUID) -> str:
    """Where a ticket's PDF is served through the gateway (pdf-svc, to its owner or an admin)."""
    return f"/api/v1/tickets/{ticket_id}/pdf"


class TicketOut(BaseModel):
    id: UUID
    order_id: UUID
    event_id: UUID
    ticket_type_id: UUID
    holder_name: str
    status: str
    qr_payload: str
    pdf_url: str


class OrderOut(BaseModel):
    id: UUID
    user_id: str
    event_id: UUID
    status: str
    items: list[OrderItemOut]
    total: int | None
    currency: str
    expires_at: datetime | None
    payment_link: str | None
    reason: str | None
    created_at: datetime
    paid_at: datetime | None
    tickets: list[TicketOut]


class OrderPage(BaseModel):
    items: list[OrderOut]
    page: int
    page_size: int
    total: int


class SalesStatsOut(BaseModel):
    event_id: UUID | None
    orders_by_status: dict[str, int]
    gross: int
    refunded: int
    net: int
    currency: str

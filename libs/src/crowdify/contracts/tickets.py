"""Messages about payments and issued tickets, published by purchase-svc."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from crowdify.contracts.base import Contract, register


@register
class PaymentNotifiedV1(Contract):
    name = "purchase.payment.notified"
    version = 1
    producer = "purchase-svc"
    consumers = ("purchase-svc",)
    summary = (
        "Mercado Pago told purchase-svc's webhook that a payment changed; purchase-svc's own worker "
        "fetches the payment from the API and applies it (the notification itself is never trusted)."
    )

    payment_id: str = Field(min_length=1, max_length=64)
    topic: str = "payment"
    notification_id: int | None = Field(default=None, description="row id in payment_notifications")
    signature_valid: bool = False


class IssuedTicket(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: UUID
    ticket_type_id: UUID
    ticket_type: str | None = Field(default=None, description="the ticket type's name")
    holder_name: str
    qr_payload: str = Field(description="the exact string the QR code encodes (ADR 0006)")
    child_nombre: str | None = None
    child_rut: str | None = Field(default=None, description="the child's RUT, canonical NNNNNNNN-D")


@register
class TicketsIssuedV1(Contract):
    name = "purchase.tickets.issued"
    version = 1
    producer = "purchase-svc"
    consumers = ("validation-svc", "pdf-svc", "notification-svc", "admin-svc")
    summary = "A paid order's tickets were issued with signed QR payloads; render, register and email them."

    order_id: UUID
    event_id: UUID
    event_name: str | None = None
    venue: str | None = None
    event_starts_at: datetime | None = None
    buyer_email: str
    buyer_name: str
    tickets: tuple[IssuedTicket, ...] = Field(min_length=1)
    issued_at: datetime
    user_id: str | None = Field(
        default=None, description="the buyer's user id (JWT `sub`): who may download the documents"
    )

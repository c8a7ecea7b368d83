"""One order with its payments and refunds (the console's order page), for admins and the staff of
the order's event (404 for anyone else's, like an unknown order)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, Field

from admin_svc.api.state import AdminStateDep
from admin_svc.service.orders import order_detail
from crowdify.auth import CurrentAdminOrCoordinator
from crowdify.errors import problem_responses

router = APIRouter(prefix="/api/v1/admin", tags=["orders"])


class OrderLineOut(BaseModel):
    ticket_type_id: UUID
    ticket_type_name: str | None
    quantity: int
    unit_price: int | None


class PaymentOut(BaseModel):
    payment_id: str = Field(description="Mercado Pago's payment id")
    provider: Literal["mercado_pago"]
    status: Literal["approved", "partially_refunded", "refunded", "charged_back"]
    amount: int | None = Field(description="What was paid, in minor units of the currency")
    refunded: int
    currency: str | None
    paid_at: datetime | None


class RefundOut(BaseModel):
    refund_id: str
    amount: int | None
    currency: str | None
    cause: str | None = Field(description="admin, event_cancelled, provider, chargeback...")
    full: bool
    ticket_ids: list[UUID] = Field(description="The tickets this refund revoked")
    refunded_at: datetime


class TicketOut(BaseModel):
    ticket_id: UUID
    ticket_type_id: UUID
    ticket_type_name: str | None
    holder_name: str
    issued_at: datetime
    revoked_at: datetime | None


class OrderDetail(BaseModel):
    order_id: UUID
    event_id: UUID
    event_name: str | None
    status: str
    user_id: str | None
    buyer_name: str | None
    buyer_email: str | None
    total: int | None
    currency: str | None
    placed_at: datetime | None
    hold_expires_at: datetime | None
    paid_at: datetime | None
    expired_at: datetime | None
    cancelled_at: datetime | None
    rejection_reason: str | None
    refunded: int
    lines: list[OrderLineOut]
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    tickets: list[TicketOut]


@router.get(
    "/orders/{order_id}",
    response_model=OrderDetail,
    summary="One order with its Mercado Pago payment, its refunds (amount, cause, tickets) and tickets",
    description=(
        "Drawn from the read model, which messages fill: an order appears here a moment after "
        "purchase-svc announces it. Amounts are in minor units of the currency."
    ),
    responses=problem_responses(401, 403, 404, 422),
)
async def get_order(order_id: UUID, user: CurrentAdminOrCoordinator, state: AdminStateDep) -> OrderDetail:
    async with state.uow_factory() as uow:
        detail = await order_detail(uow.session, user, order_id)
    return OrderDetail.model_validate(detail)

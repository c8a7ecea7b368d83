"""``POST /api/v1/purchases/{order_id}/refunds`` (admin): refund some tickets, or all of them.

Wiring: ``app.include_router(refunds.router)``.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, Field

from crowdify.auth.dependencies import CurrentAdmin
from crowdify.errors import problem_responses
from crowdify.inputs import Text
from purchase_svc.api.dependencies import PurchasesDep
from purchase_svc.service.commands import RefundCause, RefundOrder
from purchase_svc.service.refunds import RefundResult, refund_order

router = APIRouter(prefix="/api/v1/purchases", tags=["refunds"])


class RefundIn(BaseModel):
    ticket_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=100)
    reason: Text = Field(min_length=1, max_length=160)


class RefundOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    ticket_ids: list[uuid.UUID]
    reason: str
    status: str
    full: bool
    order_status: str


@router.post(
    "/{order_id}/refunds",
    status_code=201,
    response_model=RefundOut,
    summary="Refund tickets of a paid order (all when ticket_ids is omitted) and revoke them",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
async def create_refund(
    order_id: uuid.UUID,
    body: RefundIn,
    admin: CurrentAdmin,
    purchases: PurchasesDep,
) -> RefundOut:
    command = RefundOrder(
        order_id=order_id,
        ticket_ids=tuple(body.ticket_ids) if body.ticket_ids is not None else None,
        reason=body.reason,
        actor=admin.user_id,
        cause=RefundCause.ADMIN,
    )
    result: RefundResult = await refund_order(purchases, command)
    return RefundOut(
        id=result.id,
        order_id=result.order_id,
        amount=result.amount,
        ticket_ids=result.ticket_ids,
        reason=result.reason,
        status=result.status,
        full=result.full,
        order_status=result.order_status,
    )

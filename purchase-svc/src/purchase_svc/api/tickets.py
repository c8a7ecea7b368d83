"""``GET /api/v1/tickets`` (own tickets, paginated) and ``GET /api/v1/tickets/{ticket_id}`` (owner
or admin; ``404`` for anyone else, so a ticket id reveals nothing). Both include ``qr_payload``.

Wiring: ``app.include_router(tickets.router)``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from crowdify.auth.dependencies import CurrentUser
from crowdify.errors import NotFound, problem_responses
from crowdify.inputs import Page, PageSize
from purchase_svc.api.dependencies import PurchasesDep
from purchase_svc.api.schemas import ticket_pdf_url
from purchase_svc.service import tickets as ticket_service
from purchase_svc.service.tickets import TicketRow

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"], responses=problem_responses(401, 404, 422))


class TicketOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    event_id: uuid.UUID
    ticket_type_id: uuid.UUID
    holder_name: str
    status: Literal["valid", "revoked"]
    qr_payload: str
    pdf_url: str
    issued_at: datetime
    revoked_at: datetime | None = None


class TicketPage(BaseModel):
    items: list[TicketOut]
    page: int
    page_size: int
    total: int


def _out(row: TicketRow) -> TicketOut:
    return TicketOut(
        id=row.id,
        order_id=row.order_id,
        event_id=row.event_id,
        ticket_type_id=row.ticket_type_id,
        holder_name=row.holder_name,
        status=row.status,
        qr_payload=row.qr_payload,
        pdf_url=ticket_pdf_url(row.id),
        issued_at=row.issued_at,
        revoked_at=row.revoked_at,
    )


@router.get("", summary="Your tickets", response_model=TicketPage)
async def list_tickets(
    purchases: PurchasesDep,
    user: CurrentUser,
    page: Page = 1,
    page_size: PageSize = 20,
) -> TicketPage:
    async with purchases.uow_factory() as uow:
        rows, total = await ticket_service.list_user_tickets(
            uow, user.user_id, limit=page_size, offset=(page - 1) * page_size
        )
    return TicketPage(items=[_out(r) for r in rows], page=page, page_size=page_size, total=total)


@router.get("/{ticket_id}", summary="One ticket, with its QR payload", response_model=TicketOut)
async def get_ticket(ticket_id: uuid.UUID, user: CurrentUser, purchases: PurchasesDep) -> TicketOut:
    async with purchases.uow_factory() as uow:
        found = await ticket_service.get_ticket(uow, ticket_id)
    if found is None or (found[1] != user.user_id and not user.is_admin):
        raise NotFound("No such ticket")
    return _out(found[0])

"""Which stored document a caller may download: the owner's or any, for an admin.

Another user's ticket or order is "not found", exactly like one that does not exist: the
answer never tells whether an id is real. Revoked documents are ``410`` (to those allowed to
see them), so a buyer learns why a refunded ticket cannot be downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, select

from crowdify.auth import Principal
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import NotFound, ProblemError
from pdf_svc.adapters.tables import orders, tickets


class Revoked(ProblemError):
    status = 410


@dataclass(frozen=True)
class Located:
    key: str
    sha256: str
    size: int


def _may_see(principal: Principal, owner: str | None) -> bool:
    return principal.is_admin or (owner is not None and owner == principal.user_id)


async def ticket_document(uow_factory: UnitOfWorkFactory, ticket_id: UUID, principal: Principal) -> Located:
    async with uow_factory() as uow:
        row = (
            (
                await uow.session.execute(
                    select(tickets, orders.c.user_id)
                    .join(orders, orders.c.id == tickets.c.order_id)
                    .where(tickets.c.id == ticket_id)
                )
            )
            .mappings()
            .first()
        )
    if row is None or not _may_see(principal, row["user_id"]):
        raise NotFound("No such ticket document")
    if row["status"] == "revoked":
        raise Revoked("This ticket was revoked (refunded or its event cancelled)", code="ticket_revoked")
    if row["document_key"] is None:
        raise NotFound("The ticket's document is not ready yet", code="document_not_ready")
    return Located(row["document_key"], row["document_sha256"], int(row["document_size"]))


async def order_document(uow_factory: UnitOfWorkFactory, order_id: UUID, principal: Principal) -> Located:
    async with uow_factory() as uow:
        row = (
            (
                await uow.session.execute(
                    select(
                        orders,
                        select(func.count())
                        .where(tickets.c.order_id == orders.c.id, tickets.c.status == "valid")
                        .scalar_subquery()
                        .label("valid_tickets"),
                    ).where(orders.c.id == order_id)
                )
            )
            .mappings()
            .first()
        )
    if row is None or not _may_see(principal, row["user_id"]):
        raise NotFound("No such order document")
    if not row["valid_tickets"]:
        raise Revoked(
            "Every ticket of this order was revoked (refunded or its event cancelled)", code="order_revoked"
        )
    if row["document_key"] is None:
        raise NotFound("The order's document is not ready yet", code="document_not_ready")
    return Located(row["document_key"], row["document_sha256"], int(row["document_size"]))

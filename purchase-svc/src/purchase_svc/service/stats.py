"""Sales figures for organisers: orders by status, gross, refunded and net revenue."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from crowdify.auth import Principal
from crowdify.errors import ProblemError
from crowdify.event_staff import require_event_in_scope
from purchase_svc.adapters.tables import event_staff, orders, refunds
from purchase_svc.service.context import Purchases

# Statuses whose money was taken at some point: gross counts them whatever happened later.
CHARGED = ("paid", "partially_refunded", "refunded")


@dataclass(frozen=True)
class SalesStats:
    event_id: uuid.UUID | None
    orders_by_status: dict[str, int]
    gross: int
    refunded: int
    currency: str

    @property
    def net(self) -> int:
        return self.gross - self.refunded


async def check_stats_scope(purchases: Purchases, user: Principal, event_id: uuid.UUID | None) -> None:
    """Admins read any event's figures or the whole platform's; a coordinator only those of an
    event they run (404 for any other)."""
    if user.is_admin:
        return
    if event_id is None:
        raise ProblemError("Say which event: ?event_id=", status=422, code="event_id_required")
    async with purchases.uow_factory() as uow:
        await require_event_in_scope(uow.session, event_staff, user, event_id)


async def sales_stats(purchases: Purchases, event_id: uuid.UUID | None) -> SalesStats:
    scope = [orders.c.event_id == event_id] if event_id else []
    async with purchases.uow_factory() as uow:
        counted = await uow.session.execute(
            select(orders.c.status, func.count()).where(*scope).group_by(orders.c.status)
        )
        by_status: dict[str, int] = {str(status): int(count) for status, count in counted.all()}
        gross = (
            await uow.session.execute(
                select(func.coalesce(func.sum(orders.c.total), 0)).where(*scope, orders.c.status.in_(CHARGED))
            )
        ).scalar_one()
        refunded = (
            await uow.session.execute(
                select(func.coalesce(func.sum(refunds.c.amount), 0))
                .select_from(refunds.join(orders, refunds.c.order_id == orders.c.id))
                .where(*scope, refunds.c.status.in_(("completed", "external")))
            )
        ).scalar_one()
    return SalesStats(
        event_id, {str(k): int(v) for k, v in by_status.items()}, int(gross), int(refunded), "CLP"
    )

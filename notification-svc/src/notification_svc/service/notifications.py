"""What the API reads and asks for: the emails of an order (admins), and the tickets email again
(its owner or an admin)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.engine import RowMapping

from crowdify.auth import Principal
from crowdify.db import UnitOfWork, UnitOfWorkFactory
from crowdify.errors import Conflict, NotFound, ProblemError
from notification_svc.adapters.tables import emails, orders
from notification_svc.domain.emails import Kind
from notification_svc.service.intake import lock_order, queue_email


async def list_emails(
    uow_factory: UnitOfWorkFactory, *, order_id: uuid.UUID | None, page: int, page_size: int
) -> tuple[list[RowMapping], int]:
    """Newest first, and how many there are in all. Each row says whether it can be sent again
    (``resendable``): a tickets email whose order still has tickets and a buyer's address, as
    :func:`resend_tickets` requires, so a console offers resend only where it would work."""
    conditions = [emails.c.order_id == order_id] if order_id is not None else []
    resendable = and_(
        emails.c.kind == Kind.TICKETS.value,
        orders.c.tickets_context.is_not(None),
        func.coalesce(orders.c.buyer_email, "") != "",
        orders.c.tickets_revoked_at.is_(None),
    ).label("resendable")
    async with uow_factory() as uow:
        total = (
            await uow.session.execute(select(func.count()).select_from(emails).where(*conditions))
        ).scalar_one()
        rows = (
            (
                await uow.session.execute(
                    select(emails, resendable)
                    .select_from(emails.outerjoin(orders, orders.c.order_id == emails.c.order_id))
                    .where(*conditions)
                    .order_by(emails.c.created_at.desc(), emails.c.id)
                    .offset((page - 1) * page_size)
                    .limit(page_size)
                )
            )
            .mappings()
            .all()
        )
    return list(rows), int(total)


RESEND_PREFIX = "resend-"
RESEND_WINDOW = timedelta(days=1)


async def _refuse_past_daily_resends(uow: UnitOfWork, order_id: uuid.UUID, per_day: int) -> None:
    """429 once the order's resends of the last 24 hours reach ``per_day`` (the caller holds the
    order's lock, so two requests cannot both take the last one)."""
    since = datetime.now(UTC) - RESEND_WINDOW
    recent = (
        (
            await uow.session.execute(
                select(emails.c.created_at)
                .where(
                    emails.c.order_id == order_id,
                    emails.c.kind == Kind.TICKETS.value,
                    emails.c.reference.startswith(RESEND_PREFIX),
                    emails.c.created_at > since,
                )
                .order_by(emails.c.created_at)
            )
        )
        .scalars()
        .all()
    )
    if len(recent) < per_day:
        return
    frees_at = recent[len(recent) - per_day] + RESEND_WINDOW if per_day else datetime.now(UTC) + RESEND_WINDOW
    retry_after = max(1, math.ceil((frees_at - datetime.now(UTC)).total_seconds()))
    raise ProblemError(
        f"Ya reenviamos las entradas de esta compra {per_day} veces en las últimas 24 horas",
        status=429,
        code="resend_limit",
        headers={"Retry-After": str(retry_after)},
    )


async def resend_tickets(
    uow_factory: UnitOfWorkFactory, order_id: uuid.UUID, caller: Principal, *, per_day: int
) -> RowMapping:
    """Queue the order's tickets email once more and return its row. While one is still waiting to
    go, that one is returned instead: asking twice never sends two. At most ``per_day`` resends
    of one order in 24 hours: the buyer's inbox is not ours to flood."""
    async with uow_factory() as uow:
        order = (
            (await uow.session.execute(select(orders).where(orders.c.order_id == order_id)))
            .mappings()
            .first()
        )
        # Another user's order answers exactly like an unknown one (docs/api.md: never leak existence).
        visible = order is not None and (caller.is_admin or order["user_id"] == caller.user_id)
        if order is None or not visible or order["tickets_context"] is None or not order["buyer_email"]:
            raise NotFound("No tickets email for this order")
        if order["tickets_revoked_at"] is not None:
            raise Conflict("The order's tickets were revoked (refunded or cancelled)", code="tickets_revoked")
        await lock_order(uow, order_id)  # one resend at a time per order
        waiting = (
            (
                await uow.session.execute(
                    select(emails).where(
                        emails.c.order_id == order_id,
                        emails.c.kind == Kind.TICKETS.value,
                        emails.c.status == "pending",
                    )
                )
            )
            .mappings()
            .first()
        )
        if waiting is not None:
            return waiting
        await _refuse_past_daily_resends(uow, order_id, per_day)
        reference = f"{RESEND_PREFIX}{uuid.uuid4()}"
        await queue_email(
            uow,
            order_id=order_id,
            kind=Kind.TICKETS,
            reference=reference,
            recipient=order["buyer_email"],
            user_id=order["user_id"],
            context=dict(order["tickets_context"]),
        )
        queued = (
            (
                await uow.session.execute(
                    select(emails).where(
                        emails.c.order_id == order_id,
                        emails.c.kind == Kind.TICKETS.value,
                        emails.c.reference == reference,
                    )
                )
            )
            .mappings()
            .one()
        )
    return queued

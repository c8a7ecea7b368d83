"""Notification routes (docs/api.md "Notifications"): the emails of an order, and sending the tickets
again.

Wiring: ``app.include_router(notifications.router)``; uses ``app.state.notifications``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import RowMapping

from crowdify.auth.dependencies import CurrentAdmin, CurrentUser
from crowdify.db import UnitOfWorkFactory
from crowdify.errors import problem_responses
from crowdify.inputs import Page, PageSize
from notification_svc.service.notifications import list_emails, resend_tickets

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@dataclass(frozen=True)
class Notifications:
    """What the routes need, put on ``app.state.notifications`` at start-up."""

    uow_factory: UnitOfWorkFactory
    resends_per_day: int


async def _notifications(request: Request) -> Notifications:
    notifications = getattr(request.app.state, "notifications", None)
    if not isinstance(notifications, Notifications):
        raise RuntimeError("app.state.notifications is not set")
    return notifications


NotificationsDep = Annotated[Notifications, Depends(_notifications)]


class EmailOut(BaseModel):
    id: uuid.UUID
    order_id: uuid.UUID
    kind: Literal["tickets", "order_expired", "refund", "event_cancelled"]
    to: str
    status: Literal["pending", "sent", "failed", "withdrawn"]
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    documents: Literal["attached", "link"] | None
    last_error: str | None
    resendable: bool = Field(
        description="A tickets email whose order still has valid tickets: POST /resend would send it again"
    )


class EmailPage(BaseModel):
    items: list[EmailOut]
    page: int
    page_size: int
    total: int


class ResendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: uuid.UUID


def email_out(row: RowMapping, *, resendable: bool | None = None) -> EmailOut:
    return EmailOut(
        id=row["id"],
        order_id=row["order_id"],
        kind=row["kind"],
        to=row["recipient"],
        status=row["status"],
        attempts=row["attempts"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        next_attempt_at=row["next_attempt_at"] if row["status"] == "pending" else None,
        documents=row["documents"],
        last_error=row["last_error"],
        resendable=bool(row["resendable"]) if resendable is None else resendable,
    )


@router.get(
    "",
    response_model=EmailPage,
    summary="Emails of an order (or all, newest first): kind, recipient, status, when sent",
    responses=problem_responses(401, 403, 422),
)
async def list_notifications(
    admin: CurrentAdmin,
    notifications: NotificationsDep,
    order_id: uuid.UUID | None = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> EmailPage:
    rows, total = await list_emails(
        notifications.uow_factory, order_id=order_id, page=page, page_size=page_size
    )
    return EmailPage(items=[email_out(r) for r in rows], page=page, page_size=page_size, total=total)


@router.post(
    "/resend",
    response_model=EmailOut,
    status_code=202,
    summary="Send the order's tickets email again (its owner or an admin); accepts Idempotency-Key",
    responses=problem_responses(401, 404, 409, 422, 429),
)
async def resend(body: ResendIn, user: CurrentUser, notifications: NotificationsDep) -> EmailOut:
    queued = await resend_tickets(
        notifications.uow_factory, body.order_id, user, per_day=notifications.resends_per_day
    )
    return email_out(queued, resendable=True)  # the order's tickets were just found valid

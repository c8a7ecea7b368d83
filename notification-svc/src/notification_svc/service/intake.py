"""From messages to email rows. Each function runs in the consumer's transaction, right after the
inbox recorded the message, so an email row commits together with the message being handled.

The row's id is derived from (order, kind, reference) and inserted with ON CONFLICT DO NOTHING:
however often a message is redelivered, and whichever of several messages asks first, an email
is queued once. Handlers for one order first upsert its ``orders`` row, which serialises them
(the second waits for the first's commit), so "tickets issued" and "tickets rendered" arriving
together cannot both miss each other.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from crowdify.contracts.catalog import EventCancelledV1
from crowdify.contracts.pdf import TicketsRenderedV1
from crowdify.contracts.purchase import OrderCancelledV1, OrderExpiredV1, OrderPaidV1, OrderRefundedV1
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.db import UnitOfWork
from notification_svc.adapters.tables import cancelled_events, documents, emails, orders
from notification_svc.domain.emails import Kind, email_id

log = logging.getLogger(__name__)

EVENT_CANCELLED = "event_cancelled"


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


async def lock_order(uow: UnitOfWork, order_id: uuid.UUID, **values: Any) -> None:
    """Upsert the order's row (with ``values`` that are not None) and so hold its lock until commit."""
    known = {k: v for k, v in values.items() if v is not None}
    statement = insert(orders).values(order_id=order_id, **known)
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=[orders.c.order_id], set_={**known, "updated_at": func.now()}
        )
    )


async def queue_email(
    uow: UnitOfWork,
    *,
    order_id: uuid.UUID,
    kind: Kind,
    recipient: str,
    context: dict[str, Any],
    user_id: str | None = None,
    reference: str = "",
    due_at: datetime | None = None,
) -> bool:
    """Queue the email unless it already exists; True when this call queued it."""
    values: dict[str, Any] = {
        "id": email_id(order_id, kind, reference),
        "order_id": order_id,
        "kind": kind.value,
        "reference": reference,
        "recipient": recipient,
        "user_id": user_id,
        "context": {k: _json(v) for k, v in {**context, "order_id": order_id}.items()},
    }
    if due_at is not None:
        values["next_attempt_at"] = due_at
    inserted = await uow.session.execute(
        insert(emails).values(**values).on_conflict_do_nothing().returning(emails.c.id)
    )
    queued = inserted.first() is not None
    log.info(
        "email queued" if queued else "email already queued",
        extra={"order_id": str(order_id), "kind": kind.value, "email_id": str(values["id"])},
    )
    return queued


async def tickets_revoked(uow: UnitOfWork, order_id: uuid.UUID) -> bool:
    """Whether a full refund of the order was already handled (read under the order's lock)."""
    revoked_at = await uow.session.execute(
        select(orders.c.tickets_revoked_at).where(orders.c.order_id == order_id)
    )
    return revoked_at.scalar_one_or_none() is not None


async def withdraw_tickets_email(uow: UnitOfWork, order_id: uuid.UUID) -> None:
    """Every ticket was refunded before the tickets email went (it was waiting for the PDF, or for
    the provider): the buyer must not get tickets that no longer open the door after the refund
    email. An email a sender holds right now (its lease has not lapsed) is going out as we speak
    and is left to be recorded as sent."""
    withdrawn = await uow.session.execute(
        update(emails)
        .where(
            emails.c.order_id == order_id,
            emails.c.kind == Kind.TICKETS.value,
            emails.c.status == "pending",
            (emails.c.locked_until.is_(None)) | (emails.c.locked_until < func.now()),
        )
        .values(status="withdrawn", last_error="every ticket was refunded first")
    )
    if withdrawn.rowcount:  # type: ignore[attr-defined]
        log.info("tickets email withdrawn", extra={"order_id": str(order_id)})


@dataclass(frozen=True)
class Intake:
    """The message handlers' use cases. ``wake`` nudges this process's sender after a commit."""

    pdf_wait: timedelta
    wake: Callable[[], None] = lambda: None

    def _wake_after_commit(self, uow: UnitOfWork) -> None:
        async def nudge() -> None:
            self.wake()

        uow.after_commit(nudge)

    async def tickets_issued(self, uow: UnitOfWork, issued: TicketsIssuedV1) -> None:
        context = {
            "event_id": issued.event_id,
            "event_name": issued.event_name,
            "venue": issued.venue,
            "event_starts_at": issued.event_starts_at,
            "buyer_name": issued.buyer_name,
            "issued_at": issued.issued_at,
            # The QR payloads stay out: the PDF carries them, the email body never does.
            "tickets": [
                {"ticket_type": t.ticket_type, "holder_name": t.holder_name, "child_nombre": t.child_nombre}
                for t in issued.tickets
            ],
        }
        stored = {k: _json(v) for k, v in context.items()}
        await lock_order(
            uow,
            issued.order_id,
            event_id=issued.event_id,
            user_id=issued.user_id,
            buyer_email=issued.buyer_email,
            tickets_context=stored,
        )
        rendered = await uow.session.execute(
            select(documents.c.order_id).where(documents.c.order_id == issued.order_id)
        )
        # Wait for the PDF until the deadline; if it is already here, go now.
        due_at = None if rendered.first() is not None else issued.issued_at + self.pdf_wait
        queued = await queue_email(
            uow,
            order_id=issued.order_id,
            kind=Kind.TICKETS,
            recipient=issued.buyer_email,
            user_id=issued.user_id,
            context=context,
            due_at=max(due_at, datetime.now(UTC)) if due_at is not None else None,
        )
        # The full refund's message may be handled first (the two come from different producers
        # and a consumer takes several messages at once); the order's row, locked above, then
        # already says so, and the tickets email is recorded withdrawn instead of going out.
        if queued and await tickets_revoked(uow, issued.order_id):
            await withdraw_tickets_email(uow, issued.order_id)
        elif queued:
            self._wake_after_commit(uow)

    async def tickets_rendered(self, uow: UnitOfWork, rendered: TicketsRenderedV1) -> None:
        await lock_order(uow, rendered.order_id, event_id=rendered.event_id)
        document = {
            "bucket": rendered.bucket,
            "key": rendered.order_document.key,
            "sha256": rendered.order_document.sha256,
            "size": rendered.order_document.size,
            "revision": rendered.revision,
            "rendered_at": rendered.rendered_at,
        }
        statement = insert(documents).values(order_id=rendered.order_id, **document)
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=[documents.c.order_id],
                set_=document,
                where=documents.c.revision <= statement.excluded.revision,  # never go back
            )
        )
        # A tickets email still waiting for its PDF goes now; one already tried or being sent
        # keeps its schedule (its next attempt reads the document anyway).
        woken = await uow.session.execute(
            update(emails)
            .where(
                emails.c.order_id == rendered.order_id,
                emails.c.kind == Kind.TICKETS.value,
                emails.c.status == "pending",
                emails.c.attempts == 0,
                emails.c.locked_until.is_(None),
                emails.c.next_attempt_at > func.now(),
            )
            .values(next_attempt_at=func.now())
            .returning(emails.c.id)
        )
        if woken.first() is not None:
            self._wake_after_commit(uow)

    async def order_paid(self, uow: UnitOfWork, paid: OrderPaidV1) -> None:
        await lock_order(uow, paid.order_id, event_id=paid.event_id, total=paid.total, currency=paid.currency)

    async def order_expired(self, uow: UnitOfWork, expired: OrderExpiredV1) -> None:
        if not expired.buyer_email:
            log.warning(
                "order expired without a buyer address; no email", extra={"order_id": str(expired.order_id)}
            )
            return
        await lock_order(uow, expired.order_id, event_id=expired.event_id)
        queued = await queue_email(
            uow,
            order_id=expired.order_id,
            kind=Kind.ORDER_EXPIRED,
            recipient=expired.buyer_email,
            user_id=expired.user_id,
            context={
                "event_id": expired.event_id,
                "event_name": expired.event_name,
                "event_starts_at": expired.event_starts_at,
                "buyer_name": expired.buyer_name,
                "total": expired.total,
                "currency": expired.currency,
            },
        )
        if queued:
            self._wake_after_commit(uow)

    async def order_refunded(self, uow: UnitOfWork, refunded: OrderRefundedV1) -> None:
        revoked_all = {"tickets_revoked_at": datetime.now(UTC)} if refunded.full else {}
        await lock_order(uow, refunded.order_id, event_id=refunded.event_id, **revoked_all)
        if refunded.full:
            await withdraw_tickets_email(uow, refunded.order_id)
        if not refunded.buyer_email:
            log.warning(
                "refund without a buyer address; no email", extra={"order_id": str(refunded.order_id)}
            )
            return
        common = {
            "event_id": refunded.event_id,
            "event_name": refunded.event_name,
            "event_starts_at": refunded.event_starts_at,
            "buyer_name": refunded.buyer_name,
            "amount": refunded.amount,
            "currency": refunded.currency,
        }
        if refunded.cause == EVENT_CANCELLED:
            # The refund is the event's cancellation: the buyer hears about both in one email.
            queued = await queue_email(
                uow,
                order_id=refunded.order_id,
                kind=Kind.EVENT_CANCELLED,
                recipient=refunded.buyer_email,
                user_id=refunded.user_id,
                context={**common, "paid": True},
            )
        else:
            queued = await queue_email(
                uow,
                order_id=refunded.order_id,
                kind=Kind.REFUND,
                reference=refunded.refund_id[:64],
                recipient=refunded.buyer_email,
                user_id=refunded.user_id,
                context={**common, "full": refunded.full, "cause": refunded.cause},
            )
        if queued:
            self._wake_after_commit(uow)

    async def order_cancelled(self, uow: UnitOfWork, cancelled: OrderCancelledV1) -> None:
        # Buyers who cancel their own order, and orders Mercado Pago could not take, get no email:
        # the buyer saw the outcome on the spot. An unpaid order of a cancelled event does.
        if cancelled.cause != EVENT_CANCELLED:
            return
        if not cancelled.buyer_email:
            log.warning(
                "cancellation without a buyer address; no email", extra={"order_id": str(cancelled.order_id)}
            )
            return
        await lock_order(uow, cancelled.order_id, event_id=cancelled.event_id)
        queued = await queue_email(
            uow,
            order_id=cancelled.order_id,
            kind=Kind.EVENT_CANCELLED,
            recipient=cancelled.buyer_email,
            user_id=cancelled.user_id,
            context={
                "event_id": cancelled.event_id,
                "event_name": cancelled.event_name,
                "event_starts_at": cancelled.event_starts_at,
                "buyer_name": cancelled.buyer_name,
                "paid": cancelled.was_paid,
            },
        )
        if queued:
            self._wake_after_commit(uow)

    async def event_cancelled(self, uow: UnitOfWork, cancelled: EventCancelledV1, at: datetime) -> None:
        """Remember the organiser's reason; purchase-svc's refunds and cancellations of the
        event's orders, which follow, are what queue the emails (one per order)."""
        values = {"name": cancelled.event.name, "reason": cancelled.reason, "cancelled_at": at}
        statement = insert(cancelled_events).values(event_id=cancelled.event.id, **values)
        await uow.session.execute(
            statement.on_conflict_do_update(index_elements=[cancelled_events.c.event_id], set_=values)
        )

"""Refunds an admin (or an event cancellation) asks for: the whole order or some of its tickets.

:func:`refund_order` works in three steps so a crash or a provider error never refunds twice:

1. under the order's row lock: check the order is paid (or partially refunded), the tickets are
   its own and still valid, and no other refund is in flight; write a ``refunds`` row
   (``requested``) whose id gives the stable ``X-Idempotency-Key`` ``refund-<refund id>``; commit.
2. ask Mercado Pago for the refund with that key (a full refund when everything left is refunded
   and nothing was refunded before, else ``amount`` = the sum of the tickets' unit prices).
3. under the lock again: the row becomes ``completed``, the tickets ``revoked``, the order
   ``partially_refunded`` or ``refunded``, and ``OrderRefundedV1`` carries the refunded lines
   with the command's cause.

If step 2 fails the row becomes ``failed`` and the caller gets ``503``; asking again makes a new
refund row (Mercado Pago had refused the old key's request, so nothing is paid out twice). While a
refund is ``requested``, the payment sync leaves a ``refunded`` payment to it (no double
``OrderRefundedV1``).

A process that dies between steps 1 and 3 leaves the row ``requested``, and it would block every
later refund of the order. :func:`resume_stuck_refunds` (the worker, every few minutes) takes such
rows once they are older than any live call could be and runs steps 2 and 3 again: the row's key
makes Mercado Pago answer with the refund it already made, or make it now, and the row keeps what
the announcement says (``cause``, ``notice_reason``). Step 3 settles a row only while it is still
``requested``, so a refund is completed once however many try.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from crowdify.db import UnitOfWork
from crowdify.errors import Conflict, NotFound, ProblemError
from crowdify.tasks import pause, survive
from purchase_svc.adapters.mercadopago import PaymentProviderRejected, PaymentProviderUnavailable
from purchase_svc.adapters.mercadopago_answers import provider_refund_id
from purchase_svc.adapters.orders import lock_order, order_lines, transition
from purchase_svc.adapters.payments import latest_approved_payment, refund_in_flight
from purchase_svc.adapters.tables import refunds, tickets
from purchase_svc.domain.order import OrderEvent, OrderStatus
from purchase_svc.service.commands import RefundCause, RefundOrder
from purchase_svc.service.context import Purchases
from purchase_svc.service.order_messages import RefundNotice, publish_refunded
from purchase_svc.service.tickets import revoke_tickets

log = logging.getLogger(__name__)

REFUNDABLE = frozenset({OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED})


@dataclass(frozen=True)
class RefundResult:
    id: uuid.UUID
    order_id: uuid.UUID
    amount: int
    ticket_ids: list[uuid.UUID]
    reason: str
    status: str
    full: bool
    order_status: str
    provider_refund_id: str | None


@dataclass(frozen=True)
class _RequestedRefund:
    """Step 1's outcome: what to ask Mercado Pago for."""

    id: uuid.UUID
    payment_id: str
    ticket_ids: tuple[uuid.UUID, ...]
    amount: int
    # The whole payment back (no amount sent): every ticket left, nothing refunded before.
    whole_payment: bool

    @property
    def idempotency_key(self) -> str:
        return refund_key(self.id)


def refund_key(refund_id: uuid.UUID) -> str:
    return f"refund-{refund_id}"


async def refund_order(purchases: Purchases, command: RefundOrder) -> RefundResult:
    """Refund the command's tickets (all the order's valid tickets when it names none).
    Raises NotFound (404), Conflict (409), ProblemError 422/503."""
    async with purchases.uow_factory() as uow:
        requested = await _request_refund(uow, command)
    try:
        answer = await _ask_provider(purchases, requested)
    except (PaymentProviderUnavailable, PaymentProviderRejected) as error:
        await _mark_failed(purchases, requested.id)
        raise _provider_problem(error) from error
    return await _complete_refund(purchases, command, requested, provider_refund_id(answer))


async def _ask_provider(purchases: Purchases, requested: _RequestedRefund) -> dict[str, Any]:
    """Step 2: the refund at Mercado Pago under the request's own key (the same refund however
    often it is asked)."""
    return await purchases.mercadopago.refund(
        requested.payment_id,
        amount=None if requested.whole_payment else requested.amount,
        idempotency_key=requested.idempotency_key,
    )


async def _valid_tickets(uow: UnitOfWork, order_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID]:
    """The order's valid tickets: ticket id -> ticket type id."""
    query = select(tickets.c.id, tickets.c.ticket_type_id).where(
        tickets.c.order_id == order_id, tickets.c.status == "valid"
    )
    return {row.id: row.ticket_type_id for row in (await uow.session.execute(query)).all()}


async def _completed_refunds(uow: UnitOfWork, order_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(refunds)
        .where(refunds.c.order_id == order_id, refunds.c.status == "completed")
    )
    return int((await uow.session.execute(query)).scalar_one())


def _wanted(command: RefundOrder, valid: dict[uuid.UUID, uuid.UUID]) -> tuple[uuid.UUID, ...]:
    wanted = tuple(dict.fromkeys(command.ticket_ids)) if command.ticket_ids is not None else tuple(valid)
    unknown = [str(t) for t in wanted if t not in valid]
    if unknown:
        raise ProblemError(
            "These tickets are not valid tickets of this order",
            status=422,
            code="invalid_tickets",
            tickets=unknown,
        )
    if not wanted:
        raise ProblemError("Nothing to refund", status=422, code="nothing_to_refund")
    return wanted


async def _request_refund(uow: UnitOfWork, command: RefundOrder) -> _RequestedRefund:
    """Step 1, under the order's row lock: check, then write the ``requested`` row."""
    order = await lock_order(uow, command.order_id)
    if order is None:
        raise NotFound("No such order")
    if order.status not in REFUNDABLE:
        raise Conflict(f"A {order.status} order cannot be refunded")
    if await refund_in_flight(uow, order.id):
        raise Conflict("Another refund of this order is in progress")
    valid = await _valid_tickets(uow, order.id)
    wanted = _wanted(command, valid)
    prices = {line.ticket_type_id: line.unit_price or 0 for line in await order_lines(uow, order.id)}
    payment = await latest_approved_payment(uow, order.id)
    if payment is None:
        raise Conflict("The order has no approved Mercado Pago payment to refund")
    whole_payment = len(wanted) == len(valid) and not await _completed_refunds(uow, order.id)
    requested = _RequestedRefund(
        id=uuid.uuid4(),
        payment_id=payment.id,
        ticket_ids=wanted,
        amount=payment.amount if whole_payment else sum(prices.get(valid[t], 0) for t in wanted),
        whole_payment=whole_payment,
    )
    await uow.session.execute(
        refunds.insert().values(
            id=requested.id,
            order_id=order.id,
            payment_id=payment.id,
            idempotency_key=requested.idempotency_key,
            amount=requested.amount,
            ticket_ids=[str(t) for t in wanted],
            reason=f"{command.reason} (by {command.actor})"[:200],
            cause=command.cause.value,
            notice_reason=command.reason[:200],
            status="requested",
        )
    )
    return requested


async def _mark_failed(purchases: Purchases, refund_id: uuid.UUID) -> None:
    async with purchases.uow_factory() as uow:
        await uow.session.execute(refunds.update().where(refunds.c.id == refund_id).values(status="failed"))


def _provider_problem(error: PaymentProviderUnavailable | PaymentProviderRejected) -> ProblemError:
    if isinstance(error, PaymentProviderRejected):
        return ProblemError(
            "Mercado Pago refused the refund", status=409, code="refund_refused", provider_status=error.status
        )
    return ProblemError(
        "Mercado Pago is unavailable; try again later", status=503, code="payment_provider_unavailable"
    )


async def _complete_refund(
    purchases: Purchases, command: RefundOrder, requested: _RequestedRefund, provider_id: str | None
) -> RefundResult:
    """Step 3, under the order's row lock again: settle the row, the tickets and the order."""
    async with purchases.uow_factory() as uow:
        order = await lock_order(uow, command.order_id)
        assert order is not None
        settled = await uow.session.execute(
            refunds.update()
            .where(refunds.c.id == requested.id, refunds.c.status == "requested")
            .values(status="completed", provider_refund_id=provider_id, completed_at=func.now())
            .returning(refunds.c.id)
        )
        if settled.first() is None:
            raise Conflict("This refund was settled meanwhile")  # resumed by a worker, or resumed twice
        revoked = await revoke_tickets(uow, order.id, requested.ticket_ids)
        full = not await _valid_tickets(uow, order.id)
        event = OrderEvent.REFUNDED if full else OrderEvent.PARTIALLY_REFUNDED
        new_status = await transition(uow, order, event) or order.status
        if revoked:
            notice = RefundNotice(
                refund_id=requested.id,
                amount=requested.amount,
                full=full,
                reason=command.reason,
                cause=command.cause,
            )
            await publish_refunded(purchases.outbox, uow, order, revoked, notice)
    return RefundResult(
        id=requested.id,
        order_id=order.id,
        amount=requested.amount,
        ticket_ids=[t.id for t in revoked],
        reason=command.reason,
        status="completed",
        full=full,
        order_status=new_status.value,
        provider_refund_id=provider_id,
    )


async def _stuck(purchases: Purchases, older_than: timedelta) -> list[Any]:
    query = select(refunds).where(
        refunds.c.status == "requested", refunds.c.created_at < func.now() - older_than
    )
    async with purchases.uow_factory() as uow:
        return list((await uow.session.execute(query.order_by(refunds.c.created_at))).all())


async def _as_requested(purchases: Purchases, row: Any) -> _RequestedRefund:
    """The request as step 1 made it. Nothing changed the order's tickets or refunds since (the
    row in flight refused every other refund), so whether it was the whole payment reads the same."""
    ticket_ids = tuple(uuid.UUID(str(t)) for t in row.ticket_ids)
    async with purchases.uow_factory() as uow:
        valid = await _valid_tickets(uow, row.order_id)
        whole_payment = len(ticket_ids) == len(valid) and not await _completed_refunds(uow, row.order_id)
    return _RequestedRefund(
        id=row.id,
        payment_id=row.payment_id,
        ticket_ids=ticket_ids,
        amount=row.amount,
        whole_payment=whole_payment,
    )


async def resume_stuck_refunds(purchases: Purchases, *, older_than: timedelta) -> int:
    """Complete the refunds left ``requested`` longer than ``older_than`` (a process died between
    asking Mercado Pago and recording its answer); returns how many were completed."""
    completed = 0
    for row in await _stuck(purchases, older_than):
        requested = await _as_requested(purchases, row)
        command = RefundOrder(
            order_id=row.order_id,
            ticket_ids=requested.ticket_ids,
            reason=row.notice_reason or row.reason or "",
            actor="system:refund-resumption",
            cause=RefundCause(row.cause) if row.cause else RefundCause.ADMIN,
        )
        try:
            answer = await _ask_provider(purchases, requested)
        except PaymentProviderRejected as refused:
            # Left requested for a person (the runbook): marked failed, it would let an admin ask
            # again under a new key, and a refund made under the old one would be paid twice.
            log.warning(
                "stuck refund refused by Mercado Pago; needs a person",
                extra={"refund_id": str(row.id), "provider_status": refused.status},
            )
            continue
        except PaymentProviderUnavailable:
            continue  # the next round tries again
        try:
            await _complete_refund(purchases, command, requested, provider_refund_id(answer))
        except Conflict:
            continue  # another worker completed it meanwhile
        completed += 1
        log.info("stuck refund completed", extra={"refund_id": str(row.id), "order_id": str(row.order_id)})
    return completed


async def resume_stuck_refunds_forever(
    purchases: Purchases, *, every: timedelta, older_than: timedelta
) -> None:
    """The worker's task: :func:`resume_stuck_refunds` every ``every``."""
    while True:
        await survive(
            resume_stuck_refunds(purchases, older_than=older_than),
            log,
            "resuming stuck refunds failed; trying again later",
        )
        await pause(every.total_seconds())

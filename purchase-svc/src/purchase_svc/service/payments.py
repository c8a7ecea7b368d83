"""Payments: a Mercado Pago notification is only a trigger; the truth is fetched from the API.

docs/integrations.md 1.10, as this service does it:

1. The webhook stores the notification and writes ``purchase.payment.notified.v1`` to the outbox
   in the same transaction (``api/webhook.py``); nothing else happens in the request.
2. purchase-svc's worker consumes that message and calls :meth:`PaymentSync.sync`: the payment is
   fetched with our token, mapped to its order by ``external_reference`` and checked (amount and
   currency equal to the order's); a mismatch is recorded on the payment and never applied.
3. Under the order's row lock the state machine decides; a snapshot older than the one stored
   (``date_last_updated``) is ignored, so duplicates and reordering change nothing.

What each payment status does to the order:

- ``approved`` and the order ``awaiting_payment``: ``paid``, tickets issued once, ``OrderPaidV1``
  and ``TicketsIssuedV1`` emitted.
- ``approved`` and the order ``expired`` or ``cancelled`` (a late payment): ``OrderPaidV1`` asks
  event-svc to take the tickets again; its answer comes back as ``SaleConfirmedV1`` (the order
  becomes ``paid`` with ``late_payment='accepted'``) or ``SaleRefusedV1`` (full refund with the
  idempotency key ``late-<order id>``, order ``refunded`` with ``late_payment='refunded'``).
  A cancelled order cannot become paid again, so a confirmation for it is refunded the same way;
  ``late_payment`` is ``requested`` while event-svc's answer is awaited. A ``SaleRefusedV1`` for
  an order already paid (its hold lapsed at event-svc just before the payment) refunds it too.
- ``refunded`` or ``charged_back`` and the order paid: ``refunded``, every ticket revoked,
  ``OrderRefundedV1`` (full) emitted.
- anything else (pending, in_process, rejected, cancelled): recorded, nothing more.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping

from crowdify.contracts.catalog import SaleConfirmedV1, SaleRefusedV1
from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderPaidV1, OrderRefundedV1
from crowdify.db import UnitOfWork, UnitOfWorkFactory
from crowdify.messaging.outbox import Outbox
from crowdify.tickets import SigningKey
from purchase_svc.adapters.mercadopago import MercadoPagoClient
from purchase_svc.adapters.orders import lock_order, order_lines, transition
from purchase_svc.adapters.tables import orders, payments, refunds
from purchase_svc.domain.order import OrderEvent, OrderStatus
from purchase_svc.service.orders import buyer_notice
from purchase_svc.service.tickets import issue_tickets, revoke_tickets

log = logging.getLogger(__name__)

REVERSED = frozenset({"refunded", "charged_back"})


def late_refund_key(order_id: uuid.UUID) -> str:
    """The stable X-Idempotency-Key of the refund of a late payment nobody could take."""
    return f"late-{order_id}"


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _amount(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


def _order_id(reference: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(reference))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class PaymentSnapshot:
    """The fields of a fetched Mercado Pago payment this service relies on."""

    id: str
    order_id: uuid.UUID | None
    status: str
    status_detail: str | None
    amount: int | None
    currency: str | None
    refunded_amount: int
    date_last_updated: datetime | None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> PaymentSnapshot:
        return cls(
            id=str(body.get("id")),
            order_id=_order_id(body.get("external_reference")),
            status=str(body.get("status") or "unknown"),
            status_detail=body.get("status_detail"),
            amount=_amount(body.get("transaction_amount")),
            currency=body.get("currency_id"),
            refunded_amount=_amount(body.get("transaction_amount_refunded")) or 0,
            date_last_updated=_parse_time(body.get("date_last_updated")),
        )


@dataclass(frozen=True)
class PaymentSync:
    """Everything payment handling needs; one per process (``composition.py``)."""

    uow_factory: UnitOfWorkFactory
    outbox: Outbox
    mercadopago: MercadoPagoClient
    signing_key: SigningKey
    # Webhook secrets accepted by the signature check: the current one, then the previous one.
    webhook_secrets: tuple[str, ...] = ()

    # -- the trigger ---------------------------------------------------------------------------

    async def sync(self, uow: UnitOfWork, payment_id: str) -> str:
        """Fetch ``payment_id`` from Mercado Pago and apply it; returns what happened (for logs
        and tests). Provider errors propagate, so the message is retried later."""
        body = await self.mercadopago.get_payment(payment_id)
        return await self.apply(uow, PaymentSnapshot.from_api(body))

    async def apply(self, uow: UnitOfWork, payment: PaymentSnapshot) -> str:
        if payment.order_id is None:
            log.warning("payment %s has no order reference; ignored", payment.id)
            return "unknown_order"
        order = await lock_order(uow, payment.order_id)
        if order is None:
            log.warning("payment %s names an order this service does not know; ignored", payment.id)
            return "unknown_order"

        stored = (
            (await uow.session.execute(select(payments).where(payments.c.id == payment.id).with_for_update()))
            .mappings()
            .first()
        )
        if (
            stored is not None
            and stored["date_last_updated"] is not None
            and payment.date_last_updated is not None
            and payment.date_last_updated < stored["date_last_updated"]
        ):
            return "stale"
        if stored is not None and stored["order_id"] != order["id"]:
            log.warning("payment %s changed order reference; ignored", payment.id)
            return "refused"

        refused = None
        if payment.amount is None or order["total"] is None or payment.amount != order["total"]:
            refused = "amount_mismatch"
        elif (payment.currency or "").upper() != (order["currency"] or "").upper():
            refused = "currency_mismatch"
        await self._upsert(uow, payment, order["id"], refused)
        if refused is not None:
            log.warning("payment %s refused for order %s: %s", payment.id, order["id"], refused)
            return refused

        if payment.status == "approved":
            return await self._approved(uow, order, payment.id)
        if payment.status in REVERSED:
            return await self._reversed(uow, order, payment)
        return "recorded"

    async def _upsert(
        self, uow: UnitOfWork, payment: PaymentSnapshot, order_id: uuid.UUID, refused: str | None
    ) -> None:
        values = {
            "id": payment.id,
            "order_id": order_id,
            "status": payment.status,
            "status_detail": payment.status_detail,
            "amount": payment.amount or 0,
            "currency": (payment.currency or "???")[:3],
            "refunded_amount": payment.refunded_amount,
            "date_last_updated": payment.date_last_updated,
            "refused_reason": refused,
        }
        statement = insert(payments).values(**values)
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=[payments.c.id],
                set_={**{k: statement.excluded[k] for k in values if k != "id"}, "fetched_at": func.now()},
            )
        )

    async def _approved(self, uow: UnitOfWork, order: RowMapping, payment_id: str) -> str:
        status = OrderStatus(order["status"])
        if status is OrderStatus.AWAITING_PAYMENT:
            now = datetime.now(UTC)
            await transition(uow, order, OrderEvent.PAYMENT_APPROVED, paid_at=now)
            await self._publish_paid(uow, order, now, payment_id)
            issued = await issue_tickets(uow, order, self.signing_key, now=now)
            if issued is not None:
                await self.outbox.add(uow, issued, correlation_id=str(order["id"]))
            return "paid"
        if status in (OrderStatus.EXPIRED, OrderStatus.CANCELLED):
            if order["late_payment"] is not None:
                return "late_payment_pending"
            # Ask event-svc whether the tickets can still be had; its answer settles the order.
            await uow.session.execute(
                orders.update().where(orders.c.id == order["id"]).values(late_payment="requested")
            )
            await self._publish_paid(uow, order, datetime.now(UTC), payment_id)
            return "late_payment_requested"
        return "unchanged"

    async def _publish_paid(
        self, uow: UnitOfWork, order: RowMapping, paid_at: datetime, payment_id: str
    ) -> None:
        lines = await order_lines(uow, order["id"])
        await self.outbox.add(
            uow,
            OrderPaidV1(
                order_id=order["id"],
                event_id=order["event_id"],
                lines=tuple(
                    OrderLine(ticket_type_id=ln["ticket_type_id"], quantity=ln["quantity"]) for ln in lines
                ),
                paid_at=paid_at,
                total=order["total"],
                currency=order["currency"],
                payment_id=payment_id,
            ),
            correlation_id=str(order["id"]),
        )

    async def _reversed(self, uow: UnitOfWork, order: RowMapping, payment: PaymentSnapshot) -> str:
        """Mercado Pago reports the money went back (a refund made in its panel, a chargeback)."""
        in_flight = await uow.session.execute(
            select(refunds.c.id).where(refunds.c.order_id == order["id"], refunds.c.status == "requested")
        )
        if in_flight.first() is not None:
            return "own_refund_in_flight"  # our own refund (service/refunds.py) settles the order
        if await transition(uow, order, OrderEvent.REFUNDED) is None:
            return "unchanged"
        refund_id = uuid.uuid4()
        revoked = await revoke_tickets(uow, order["id"])
        await uow.session.execute(
            insert(refunds)
            .values(
                id=refund_id,
                order_id=order["id"],
                payment_id=payment.id,
                idempotency_key=f"mp-{payment.id}-{payment.status}"[:64],
                provider_refund_id=None,
                amount=max(payment.refunded_amount, 0),
                ticket_ids=[str(t["id"]) for t in revoked],
                reason=f"reported by Mercado Pago: {payment.status}",
                status="external",
                completed_at=func.now(),
            )
            .on_conflict_do_nothing()
        )
        await self._publish_refunded(
            uow,
            order,
            refund_id,
            revoked,
            full=True,
            amount=max(payment.refunded_amount, 0),
            cause="provider",
            reason=f"reported by Mercado Pago: {payment.status}",
            chargeback=payment.status == "charged_back",
        )
        return "refunded"

    async def _publish_refunded(
        self,
        uow: UnitOfWork,
        order: RowMapping,
        refund_id: uuid.UUID,
        revoked: list[RowMapping],
        *,
        full: bool,
        amount: int,
        cause: str,
        reason: str,
        chargeback: bool = False,
    ) -> None:
        counts = Counter(t["ticket_type_id"] for t in revoked)
        if not counts:  # nothing was issued (a late payment refused): the order's lines go back
            counts = Counter(
                {ln["ticket_type_id"]: ln["quantity"] for ln in await order_lines(uow, order["id"])}
            )
        await self.outbox.add(
            uow,
            OrderRefundedV1(
                order_id=order["id"],
                event_id=order["event_id"],
                refund_id=str(refund_id),
                lines=tuple(
                    OrderLine(ticket_type_id=k, quantity=v) for k, v in sorted(counts.items(), key=str)
                ),
                ticket_ids=tuple(t["id"] for t in revoked),
                full=full,
                amount=amount,
                reason=reason,
                cause=cause,
                chargeback=chargeback,
                **await buyer_notice(uow, order),
            ),
            correlation_id=str(order["id"]),
        )

    # -- event-svc's answer to a late payment --------------------------------------------------

    async def on_sale_confirmed(self, uow: UnitOfWork, event: SaleConfirmedV1) -> str:
        order = await lock_order(uow, event.order_id)
        if order is None:
            return "unknown_order"
        if order["status"] != OrderStatus.EXPIRED or order["late_payment"] != "requested":
            if order["status"] == OrderStatus.CANCELLED and order["late_payment"] == "requested":
                # Cancelled orders never become paid: give the money back, and the seats too.
                return await self._refund_late_payment(uow, order)
            return "unchanged"  # the ordinary confirmation of a paid order, or a redelivery
        now = datetime.now(UTC)
        await transition(uow, order, OrderEvent.LATE_PAYMENT_ACCEPTED, paid_at=now, late_payment="accepted")
        issued = await issue_tickets(uow, order, self.signing_key, now=now)
        if issued is not None:
            await self.outbox.add(uow, issued, correlation_id=str(order["id"]))
        return "paid"

    async def on_sale_refused(self, uow: UnitOfWork, event: SaleRefusedV1) -> str:
        order = await lock_order(uow, event.order_id)
        if order is None:
            return "unknown_order"
        if order["late_payment"] == "requested":
            return await self._refund_late_payment(uow, order)
        if order["status"] == OrderStatus.PAID and order["late_payment"] is None:
            # Paid just as its hold lapsed at event-svc, and the tickets were gone by then: the
            # tickets issued here have no seat behind them, so the buyer gets the money back.
            return await self._refund_late_payment(uow, order)
        return "unchanged"

    async def _refund_late_payment(self, uow: UnitOfWork, order: RowMapping) -> str:
        paid = (
            (
                await uow.session.execute(
                    select(payments)
                    .where(
                        payments.c.order_id == order["id"],
                        payments.c.status == "approved",
                        payments.c.refused_reason.is_(None),
                    )
                    .order_by(payments.c.date_last_updated.desc().nulls_last())
                )
            )
            .mappings()
            .first()
        )
        if paid is None:
            log.warning("late payment of order %s: no approved payment to refund", order["id"])
            return "unchanged"
        key = late_refund_key(order["id"])
        existing = (
            (await uow.session.execute(select(refunds).where(refunds.c.idempotency_key == key)))
            .mappings()
            .first()
        )
        refund_id = existing["id"] if existing is not None else uuid.uuid4()
        # The same key makes a retry (after a crash or a provider error) the same refund.
        answer = await self.mercadopago.refund(paid["id"], amount=None, idempotency_key=key)
        values = {
            "order_id": order["id"],
            "payment_id": paid["id"],
            "provider_refund_id": str(answer.get("id")) if answer.get("id") is not None else None,
            "amount": paid["amount"],
            "reason": "late payment: the tickets were no longer available",
            "status": "completed",
            "completed_at": func.now(),
        }
        if existing is None:
            await uow.session.execute(insert(refunds).values(id=refund_id, idempotency_key=key, **values))
        else:
            await uow.session.execute(refunds.update().where(refunds.c.id == refund_id).values(**values))
        event = (
            OrderEvent.REFUNDED if order["status"] == OrderStatus.PAID else OrderEvent.LATE_PAYMENT_REFUSED
        )
        await transition(uow, order, event, late_payment="refunded")
        revoked = await revoke_tickets(uow, order["id"])
        await self._publish_refunded(
            uow,
            order,
            refund_id,
            revoked,
            full=True,
            amount=int(paid["amount"]),
            cause="late_payment",
            reason=str(values["reason"]),
        )
        return "refunded"

    # -- reconciliation ------------------------------------------------------------------------

    async def reconcile_forever(
        self, *, every: timedelta = timedelta(minutes=5), older_than: timedelta = timedelta(minutes=10)
    ) -> None:
        """The worker's reconciliation task: :meth:`reconcile_stuck_orders` every ``every``."""
        while True:
            try:
                applied = await self.reconcile_stuck_orders(older_than=older_than)
                if applied:
                    log.info("reconciliation applied %d payments", applied)
            except Exception:
                log.exception("reconciliation failed; trying again later")
            await asyncio.sleep(every.total_seconds())

    async def reconcile_stuck_orders(
        self, *, older_than: timedelta = timedelta(minutes=10), limit: int = 100
    ) -> int:
        """Look up, by ``external_reference``, the payments of orders still awaiting payment after
        ``older_than`` (a notification may have been lost) and apply them; returns how many
        payments were applied. Run it periodically from the worker."""
        cutoff = datetime.now(UTC) - older_than
        async with self.uow_factory() as uow:
            stuck = (
                (
                    await uow.session.execute(
                        select(orders.c.id)
                        .where(
                            orders.c.status == OrderStatus.AWAITING_PAYMENT.value,
                            orders.c.updated_at < cutoff,
                        )
                        .order_by(orders.c.updated_at)
                        .limit(limit)
                    )
                )
                .scalars()
                .all()
            )
        applied = 0
        for order_id in stuck:
            try:
                found = await self.mercadopago.search_payments(str(order_id))
            except Exception:
                log.warning(
                    "reconciliation: payments of order %s could not be searched", order_id, exc_info=True
                )
                continue
            # Oldest first, so the latest state is applied last.
            for body in sorted(found, key=lambda p: str(p.get("date_last_updated") or "")):
                async with self.uow_factory() as uow:
                    await self.apply(uow, PaymentSnapshot.from_api(body))
                applied += 1
        return applied

"""The order's side of the reservation saga (docs/design.md, the purchase saga, steps 2-3; step 6,
the holds that expire, is ``hold_expiry.py``).

Each function runs in the consumer's transaction, after the inbox recorded the message, and
changes the order under its row lock; the state machine decides whether the message still means
anything. Mercado Pago is called before the lock is taken, never while it is held.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import update

from crowdify.contracts.catalog import HeldOrder
from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderCancelledV1
from crowdify.db import UnitOfWork
from purchase_svc.adapters import order_updates
from purchase_svc.adapters.mercadopago import PaymentProviderRejected, PaymentProviderUnavailable, Preference
from purchase_svc.adapters.orders import OrderRow, lock_order, transition
from purchase_svc.adapters.tables import order_items
from purchase_svc.domain.order import OrderEvent, OrderStatus
from purchase_svc.service.commands import CancellationCause
from purchase_svc.service.context import Purchases
from purchase_svc.service.order_messages import buyer_notice

log = logging.getLogger(__name__)


def announce_after_commit(purchases: Purchases, uow: UnitOfWork, order_ids: Sequence[uuid.UUID]) -> None:
    """Wake the requests waiting for these orders once the decision has committed (one round
    trip to Redis, however many orders)."""

    async def announce() -> None:
        await order_updates.announce_many(purchases.redis, order_ids)

    if order_ids:
        uow.after_commit(announce)


def _preference(purchases: Purchases, reserved: HeldOrder) -> dict[str, object]:
    settings = purchases.settings
    order_id = str(reserved.order_id)
    back = f"{settings.frontend_base_url}/orders/{order_id}"
    # The preference stops accepting payments when the hold ends; a payment still approved a
    # little later is the late-payment case (accepted if the tickets can be held again).
    expires_to = reserved.hold_expires_at
    return {
        "items": [
            {
                "id": str(line.ticket_type_id),
                "title": f"{line.ticket_type_name} - {reserved.event_name}"[:250],
                "quantity": line.quantity,
                "currency_id": line.currency,
                "unit_price": line.unit_price,  # integer: CLP has no decimals
            }
            for line in reserved.lines
        ],
        "external_reference": order_id,
        "notification_url": f"{settings.public_base_url}/api/v1/purchases/webhook?source_news=webhooks",
        "back_urls": {"success": back, "pending": back, "failure": back},
        "auto_return": "approved",
        "binary_mode": True,
        "expires": True,
        "expiration_date_from": (expires_to - timedelta(days=1)).isoformat(timespec="milliseconds"),
        "expiration_date_to": expires_to.isoformat(timespec="milliseconds"),
        "statement_descriptor": "CROWDIFY",
        "metadata": {"order_id": order_id},
    }


async def payment_link(purchases: Purchases, reserved: HeldOrder) -> Preference | None:
    """The order's Mercado Pago preference, or None when Mercado Pago cannot make one. The key
    makes a redelivered message's call the same preference."""
    try:
        return await purchases.mercadopago.create_preference(
            _preference(purchases, reserved), idempotency_key=f"preference-{reserved.order_id}"
        )
    except (PaymentProviderUnavailable, PaymentProviderRejected):
        return None


async def _cancel_without_link(
    purchases: Purchases,
    reserved: HeldOrder,
    uow: UnitOfWork,
    order: OrderRow,
    causation_id: str | None,
) -> None:
    """No payment link, no sale: end the order clearly and give the tickets back at once."""
    log.warning("payment provider unavailable; order cancelled", extra={"order_id": str(order.id)})
    await transition(
        uow, order, OrderEvent.PAYMENT_UNAVAILABLE, reason="payment_unavailable", total=reserved.total
    )
    await purchases.outbox.add(
        uow,
        OrderCancelledV1(
            order_id=reserved.order_id,
            event_id=reserved.event_id,
            lines=tuple(
                OrderLine(ticket_type_id=ln.ticket_type_id, quantity=ln.quantity) for ln in reserved.lines
            ),
            total=reserved.total,
            cause=CancellationCause.PAYMENT_UNAVAILABLE.value,
            **{**await buyer_notice(uow, order), "currency": reserved.currency},
        ),
        correlation_id=str(reserved.order_id),
        causation_id=causation_id,
    )


async def settle_reserved(
    purchases: Purchases,
    reserved: HeldOrder,
    uow: UnitOfWork,
    preference: Preference | None,
    *,
    causation_id: str | None = None,
) -> None:
    """Under the order's lock: awaiting payment with its link, or cancelled without one."""
    order = await lock_order(uow, reserved.order_id)
    if order is None or order.status != OrderStatus.PENDING:
        return  # cancelled while the link was made: nobody is shown it, and it expires with the hold
    for line in reserved.lines:
        await uow.session.execute(
            update(order_items)
            .where(
                order_items.c.order_id == reserved.order_id,
                order_items.c.ticket_type_id == line.ticket_type_id,
            )
            .values(unit_price=line.unit_price, ticket_type_name=line.ticket_type_name)
        )
    if preference is None:
        await _cancel_without_link(purchases, reserved, uow, order, causation_id)
    else:
        await transition(
            uow,
            order,
            OrderEvent.RESERVED,
            total=reserved.total,
            currency=reserved.currency,
            hold_expires_at=reserved.hold_expires_at,
            payment_link=preference.init_point,
            preference_id=preference.id,
        )
    announce_after_commit(purchases, uow, [reserved.order_id])

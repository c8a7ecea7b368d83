"""event-svc's decisions applied in batches (group commit: ``Consumer.on_batch``, ADR 0018's lane).

The decisions waiting (``catalog.holds.decided.v1``, a batch of them per message, and the
per-order ``catalog.tickets.reserved.v1`` and ``catalog.reservation.rejected.v1`` sent before it)
are applied together, in the consumer's transaction with their inbox rows: one statement moves
every order of the batch still ``pending`` (``adapters/decision_statements.py``), and once the
batch commits one round trip to Redis wakes every request waiting for them. A redelivered batch
finds its inbox rows (nothing reaches these functions) or its orders no longer pending (nothing
moves).

A reservation's payment link is made first, for each order of the batch at once, before any row
is locked (ADR 0017); an order whose link could not be made is cancelled under its own lock, as
one order at a time was.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from crowdify.contracts.catalog import HeldOrder, RefusedOrder
from crowdify.db import UnitOfWork
from purchase_svc.adapters import decision_statements
from purchase_svc.adapters.decision_statements import Reserved
from purchase_svc.adapters.mercadopago import Preference
from purchase_svc.domain.order import OrderEvent, OrderStatus, next_status
from purchase_svc.service.context import Purchases
from purchase_svc.service.saga import announce_after_commit, payment_link, settle_reserved

PENDING = OrderStatus.PENDING


def _target(event: OrderEvent) -> str:
    target = next_status(PENDING, event)
    assert target is not None, f"{event} moves a pending order"
    return target.value


# A decision on one order and the id of the message that carried it (the cause of what it sends).
Decision = tuple[HeldOrder, str]
Refusal = tuple[RefusedOrder, str]


async def apply_rejections(purchases: Purchases, rejected: Sequence[Refusal], uow: UnitOfWork) -> None:
    if not rejected:
        return  # a batch of holds only: no round trip
    reasons = {refused.order_id: refused.reason for refused, _ in rejected}  # one per order
    moved = await decision_statements.reject(
        uow,
        list(reasons.items()),
        from_status=PENDING.value,
        to_status=_target(OrderEvent.RESERVATION_REJECTED),
    )
    announce_after_commit(purchases, uow, moved)


def _reserved(event: HeldOrder, preference: Preference) -> Reserved:
    return Reserved(
        order_id=event.order_id,
        total=event.total,
        currency=event.currency,
        hold_expires_at=event.hold_expires_at,
        payment_link=preference.init_point,
        preference_id=preference.id,
        lines=[(line.ticket_type_id, line.unit_price, line.ticket_type_name) for line in event.lines],
    )


async def apply_reservations(purchases: Purchases, reserved: Sequence[Decision], uow: UnitOfWork) -> None:
    if not reserved:
        return  # a batch of refusals only: no round trip
    first: dict[uuid.UUID, Decision] = {}
    for event, message_id in reserved:
        first.setdefault(event.order_id, (event, message_id))  # the same order sent twice: once
    statuses = await decision_statements.statuses(uow, list(first))
    # Not pending: a duplicate, or the buyer cancelled meanwhile (the cancel released the hold).
    pending = [pair for order_id, pair in first.items() if statuses.get(order_id) == PENDING.value]
    preferences = await asyncio.gather(*(payment_link(purchases, event) for event, _ in pending))
    linked = [_reserved(event, pref) for (event, _), pref in zip(pending, preferences, strict=True) if pref]
    moved = await decision_statements.reserve(
        uow, linked, from_status=PENDING.value, to_status=_target(OrderEvent.RESERVED)
    )
    announce_after_commit(purchases, uow, moved)
    for (event, message_id), preference in zip(pending, preferences, strict=True):
        if preference is None:
            await settle_reserved(purchases, event, uow, None, causation_id=message_id)

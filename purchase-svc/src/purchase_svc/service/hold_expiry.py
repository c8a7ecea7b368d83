"""event-svc's expired holds applied in batches (group commit, ADR 0018's lane), like its
decisions (``decisions.py``).

Holds placed in the first minutes of an on-sale expire together when their window ends, by the
thousand. One transaction per expiry kept the consumer's queue busy long enough that the
decisions queued behind them (the buyers trying for the seats just given back) waited tens of
seconds; a batch is one statement for all its orders and one outbox insert for their messages.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from crowdify.contracts.catalog import HoldExpiredV1
from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderExpiredV1
from crowdify.db import UnitOfWork
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.outbox import Outgoing
from purchase_svc.adapters import expiry_statements
from purchase_svc.domain.order import OrderEvent, OrderStatus, next_status
from purchase_svc.service.context import Purchases

AWAITING_PAYMENT = OrderStatus.AWAITING_PAYMENT
EXPIRED = next_status(AWAITING_PAYMENT, OrderEvent.HOLD_EXPIRED)


async def apply_expired_holds(
    purchases: Purchases, expired: Sequence[tuple[HoldExpiredV1, Envelope]], uow: UnitOfWork
) -> None:
    """Orders still awaiting payment become ``expired`` and announce it; any other order (paid
    meanwhile, cancelled, already expired) is left as it is."""
    assert EXPIRED is not None
    first: dict[uuid.UUID, tuple[HoldExpiredV1, Envelope]] = {}
    for event, envelope in expired:
        first.setdefault(event.order_id, (event, envelope))  # the same order sent twice: once
    moved = await expiry_statements.expire(
        uow, list(first), from_status=AWAITING_PAYMENT.value, to_status=EXPIRED.value
    )
    messages = []
    for row in moved:
        event, envelope = first[row["id"]]
        lines = zip(row["ticket_type_ids"] or (), row["quantities"] or (), strict=True)
        message = OrderExpiredV1(
            order_id=row["id"],
            event_id=row["event_id"],
            lines=tuple(OrderLine(ticket_type_id=t, quantity=q) for t, q in lines),
            total=row["total"],
            currency=row["currency"],
            expired_at=event.expired_at,
            buyer_email=row["buyer_email"],
            buyer_name=row["buyer_name"],
            user_id=row["user_id"],
            event_name=row["event_name"],
            event_starts_at=row["event_starts_at"],
        )
        messages.append(Outgoing(message, correlation_id=str(row["id"]), causation_id=str(envelope.id)))
    await purchases.outbox.add_many(uow, messages)

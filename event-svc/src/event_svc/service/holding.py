"""Hold or reject a batch of placed orders in one transaction (group commit, ADR 0018).

The batch is decided in one statement, the SQL function ``decide_holds`` (migration 0004): it
keeps the decision of orders decided before, locks the rows in the order every writer of the
counters takes them (buyers' advisory keys, then events, then ticket types, each in order),
decides every order in arrival order (first come, first served within a ticket type; expired
holds of the batch's types released once if an order found no room) and writes the counters, the
holds and their lines. The announcements are then written to the outbox with one more statement
(:meth:`Outbox.add_many`): the envelopes are the contracts' own serialisation, and the outbox
sends after the commit exactly the rows its unit added. Two round trips per batch, however many
orders it holds. A single order is a batch of one: there is one set of rules.

The batch's decisions are announced together, as one ``catalog.holds.decided.v1`` (split past
:data:`DECISIONS_PER_MESSAGE`): one publish with its confirm, and one delivery to each consumer,
where a message per order cost that for every order of an on-sale.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from crowdify.contracts.catalog import (
    DECISIONS_PER_MESSAGE,
    HeldOrder,
    HoldsDecidedV1,
    RefusedOrder,
    RejectionReason,
)
from crowdify.contracts.common import PricedLine
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox, Outgoing
from event_svc.adapters import hold_statements as sql
from event_svc.service.counters import Line
from event_svc.service.expiry import announcements


@dataclass(frozen=True)
class PlacedOrder:
    """An order to decide, as purchase-svc placed it (lines merged by :func:`counters.merge`)."""

    order_id: uuid.UUID
    event_id: uuid.UUID
    buyer_id: str | None
    lines: list[Line]
    causation_id: str | None = None


async def decide_holds(uow: UnitOfWork, outbox: Outbox, orders: Sequence[PlacedOrder]) -> list[str]:
    """Decide ``orders`` (in arrival order) inside ``uow``; returns each one's hold status.

    An order decided before (by an earlier batch, or earlier in this one under another message
    id) keeps its decision and sends nothing."""
    if not orders:
        return []
    db = await uow.driver_connection()
    rows = await sql.decide_holds(
        db,
        datetime.now(UTC),
        [o.order_id for o in orders],
        [o.event_id for o in orders],
        [o.buyer_id for o in orders],
        [len(o.lines) for o in orders],
        [line.ticket_type_id for o in orders for line in o.lines],
        [line.quantity for o in orders for line in o.lines],
    )
    decided = [row for row in rows if row["kind"] == "order"]
    messages = announcements([row for row in rows if row["kind"] == "expired"])
    announced = [(order, row) for order, row in zip(orders, decided, strict=True) if row["announce"]]
    for start in range(0, len(announced), DECISIONS_PER_MESSAGE):
        messages.append(_decisions(announced[start : start + DECISIONS_PER_MESSAGE]))
    await outbox.add_many(uow, messages)
    return [row["status"] for row in decided]


def _decisions(announced: Sequence[tuple[PlacedOrder, Any]]) -> Outgoing:
    message = HoldsDecidedV1(
        held=tuple(_held(order, row) for order, row in announced if row["status"] == "held"),
        refused=tuple(_refused(order, row) for order, row in announced if row["status"] != "held"),
    )
    # One message for many orders, so for no one order's saga: a correlation id of its own (the
    # orders are named inside), and the first order's placement as its cause.
    first = announced[0][0]
    return Outgoing(message, correlation_id=str(uuid.uuid4()), causation_id=first.causation_id)


def _refused(order: PlacedOrder, row: Any) -> RefusedOrder:
    return RefusedOrder(
        order_id=order.order_id,
        event_id=order.event_id,
        reason=cast(RejectionReason, row["reason"]),
        detail=row["detail"],
    )


def _held(order: PlacedOrder, row: Any) -> HeldOrder:
    priced = [
        PricedLine(
            ticket_type_id=type_id,
            ticket_type_name=name,
            quantity=quantity,
            unit_price=price,
            currency=currency,
        )
        for type_id, name, quantity, price, currency in zip(
            row["ticket_type_ids"],
            row["ticket_type_names"],
            row["quantities"],
            row["unit_prices"],
            row["currencies"],
            strict=True,
        )
    ]
    return HeldOrder(
        order_id=order.order_id,
        event_id=order.event_id,
        hold_expires_at=row["hold_expires_at"],
        lines=tuple(priced),
        total=sum(p.unit_price * p.quantity for p in priced),
        currency=priced[0].currency,
        event_name=row["event_name"],
        event_starts_at=row["event_starts_at"],
        venue=row["venue"],
    )

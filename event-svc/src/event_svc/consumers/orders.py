"""Handlers for purchase-svc's order messages. Each runs inside the consumer's transaction,
after the inbox has recorded the message, so a redelivery never reaches it. Placed orders are
decided in batches (group commit, ADR 0018): the orders waiting, in arrival order, in one
transaction (purchase-svc announces the orders it placed together in one message, and each
message's orders join the batch); expired orders are released in batches the same way."""

from __future__ import annotations

from collections.abc import Sequence

from crowdify.contracts.purchase import (
    OrderCancelledV1,
    OrderExpiredV1,
    OrderPaidV1,
    OrderPlacedV1,
    OrderRefundedV1,
    OrdersPlacedV1,
)
from crowdify.contracts.purchase import (
    PlacedOrder as Placed,
)
from crowdify.db import UnitOfWork
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.outbox import Outbox
from event_svc.service import inventory
from event_svc.service.counters import merge
from event_svc.service.holding import PlacedOrder, decide_holds


def _to_decide(order: Placed, envelope: Envelope) -> PlacedOrder:
    return PlacedOrder(
        order_id=order.order_id,
        event_id=order.event_id,
        buyer_id=order.user_id,
        lines=merge(order.lines),
        causation_id=str(envelope.id),
    )


def _orders_of(message: OrdersPlacedV1 | OrderPlacedV1) -> Sequence[Placed]:
    """The orders a message carries: those placed together, or the one of a
    ``purchase.order.placed.v1`` as purchase-svc sent them before."""
    return message.orders if isinstance(message, OrdersPlacedV1) else (message,)


def register_order_handlers(consumer: Consumer, outbox: Outbox, *, max_batch: int | None = None) -> None:
    async def on_placed(
        placed: Sequence[tuple[OrdersPlacedV1 | OrderPlacedV1, Envelope]], uow: UnitOfWork
    ) -> None:
        # The orders of every message waiting, in arrival order (a message's in its own order).
        await decide_holds(uow, outbox, [_to_decide(o, e) for m, e in placed for o in _orders_of(m)])

    async def on_paid(event: OrderPaidV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.confirm_sale(
            uow, outbox, order_id=event.order_id, event_id=event.event_id, order_lines=event.lines
        )

    async def on_cancelled(event: OrderCancelledV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.release(uow, order_id=event.order_id, event_id=event.event_id)

    async def on_expired(expired: Sequence[tuple[OrderExpiredV1, Envelope]], uow: UnitOfWork) -> None:
        # Nearly always a no-op (the hold expired here first, which is what expired the order),
        # and they come by the thousand after an on-sale: one transaction for those waiting, in
        # order id order so two batches lock their holds in the same order.
        by_order = {event.order_id: event for event, _ in expired}
        for order_id in sorted(by_order):
            await inventory.release(uow, order_id=order_id, event_id=by_order[order_id].event_id)

    async def on_refunded(event: OrderRefundedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.apply_refund(
            uow, order_id=event.order_id, refund_id=event.refund_id, refunded=event.lines
        )

    # A batch is bounded by the orders in it, not its messages (a message lists up to 500).
    consumer.on_batch(OrdersPlacedV1, on_placed, max_batch=max_batch, weight=lambda m: len(_orders_of(m)))
    # In the same lane: during a rolling deploy the queue holds both, and orders are decided in
    # the order they arrived, whichever message carried them.
    consumer.on_batch(OrderPlacedV1, on_placed, shares_lane_with=OrdersPlacedV1)
    consumer.on(OrderPaidV1, on_paid)
    consumer.on(OrderCancelledV1, on_cancelled)
    consumer.on_batch(OrderExpiredV1, on_expired, max_batch=max_batch)
    consumer.on(OrderRefundedV1, on_refunded)

"""Handlers for purchase-svc's order messages. Each runs inside the consumer's transaction,
after the inbox has recorded the message, so a redelivery never reaches it."""

from __future__ import annotations

from crowdify.contracts.purchase import (
    OrderCancelledV1,
    OrderExpiredV1,
    OrderPaidV1,
    OrderPlacedV1,
    OrderRefundedV1,
)
from crowdify.db import UnitOfWork
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.outbox import Outbox
from event_svc.service import inventory


def register_order_handlers(consumer: Consumer, outbox: Outbox) -> None:
    async def on_placed(event: OrderPlacedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.reserve(
            uow,
            outbox,
            order_id=event.order_id,
            event_id=event.event_id,
            order_lines=event.lines,
            buyer_id=event.user_id,
        )

    async def on_paid(event: OrderPaidV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.confirm_sale(
            uow, outbox, order_id=event.order_id, event_id=event.event_id, order_lines=event.lines
        )

    async def on_cancelled(event: OrderCancelledV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.release(uow, order_id=event.order_id, event_id=event.event_id)

    async def on_expired(event: OrderExpiredV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.release(uow, order_id=event.order_id, event_id=event.event_id)

    async def on_refunded(event: OrderRefundedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await inventory.apply_refund(
            uow, order_id=event.order_id, refund_id=event.refund_id, refunded=event.lines
        )

    consumer.on(OrderPlacedV1, on_placed)
    consumer.on(OrderPaidV1, on_paid)
    consumer.on(OrderCancelledV1, on_cancelled)
    consumer.on(OrderExpiredV1, on_expired)
    consumer.on(OrderRefundedV1, on_refunded)

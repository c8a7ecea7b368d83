"""Handlers queueing emails from purchase-svc's, pdf-svc's and event-svc's messages; each runs
inside the consumer's transaction."""

from __future__ import annotations

from crowdify.contracts.catalog import EventCancelledV1
from crowdify.contracts.pdf import TicketsRenderedV1
from crowdify.contracts.purchase import OrderCancelledV1, OrderExpiredV1, OrderPaidV1, OrderRefundedV1
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.db import UnitOfWork
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope
from notification_svc.service.intake import Intake


def register_email_handlers(consumer: Consumer, intake: Intake) -> None:
    async def on_tickets_issued(event: TicketsIssuedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await intake.tickets_issued(uow, event)

    async def on_tickets_rendered(event: TicketsRenderedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await intake.tickets_rendered(uow, event)

    async def on_order_paid(event: OrderPaidV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await intake.order_paid(uow, event)

    async def on_order_expired(event: OrderExpiredV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await intake.order_expired(uow, event)

    async def on_order_refunded(event: OrderRefundedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await intake.order_refunded(uow, event)

    async def on_order_cancelled(event: OrderCancelledV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await intake.order_cancelled(uow, event)

    async def on_event_cancelled(event: EventCancelledV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await intake.event_cancelled(uow, event, envelope.occurred_at)

    consumer.on(TicketsIssuedV1, on_tickets_issued)
    consumer.on(TicketsRenderedV1, on_tickets_rendered)
    consumer.on(OrderPaidV1, on_order_paid)
    consumer.on(OrderExpiredV1, on_order_expired)
    consumer.on(OrderRefundedV1, on_order_refunded)
    consumer.on(OrderCancelledV1, on_order_cancelled)
    consumer.on(EventCancelledV1, on_event_cancelled)

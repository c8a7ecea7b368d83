"""Handlers of pdf-svc's queue; each runs inside the consumer's transaction (inbox included).

A handler that raises (object storage down, breaker open) rolls its transaction back and the
consumer moves the message to its retry tiers: nothing is recorded or announced, nothing lost.
"""

from __future__ import annotations

from crowdify.contracts.catalog import EventCancelledV1, EventPublishedV1, EventUpdatedV1
from crowdify.contracts.purchase import OrderRefundedV1
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.db import UnitOfWork
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope
from pdf_svc.service.events import remember_event
from pdf_svc.service.issuing import accept_issued
from pdf_svc.service.rendering import Renderer
from pdf_svc.service.revocations import revoke_event, revoke_refunded


def register_document_handlers(consumer: Consumer, renderer: Renderer) -> None:
    async def on_event_changed(
        event: EventPublishedV1 | EventUpdatedV1, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await remember_event(uow, event.event, envelope.occurred_at)

    async def on_event_cancelled(event: EventCancelledV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await remember_event(uow, event.event, envelope.occurred_at)
        await revoke_event(uow, event.event.id, envelope.occurred_at)

    async def on_tickets_issued(event: TicketsIssuedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await accept_issued(uow, event, renderer)

    async def on_order_refunded(event: OrderRefundedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await revoke_refunded(uow, event, envelope.occurred_at, renderer)

    consumer.on(EventPublishedV1, on_event_changed)
    consumer.on(EventUpdatedV1, on_event_changed)
    consumer.on(EventCancelledV1, on_event_cancelled)
    consumer.on(TicketsIssuedV1, on_tickets_issued)
    consumer.on(OrderRefundedV1, on_order_refunded)

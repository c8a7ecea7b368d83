"""Handlers feeding the ticket registry; each runs inside the consumer's transaction."""

from __future__ import annotations

from crowdify.contracts.catalog import EventCancelledV1, EventPublishedV1, EventStaffChangedV1, EventUpdatedV1
from crowdify.contracts.purchase import OrderRefundedV1
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.db import UnitOfWork
from crowdify.event_staff import record_event_staff
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope
from crowdify.tickets import KeyRing
from validation_svc.adapters.tables import event_staff
from validation_svc.service import registry


def register_registry_handlers(consumer: Consumer, keyring: KeyRing, digest_key: bytes) -> None:
    async def on_event_changed(
        event: EventPublishedV1 | EventUpdatedV1, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await registry.remember_event(uow, event.event, envelope.occurred_at)

    async def on_event_cancelled(event: EventCancelledV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await registry.remember_event(uow, event.event, envelope.occurred_at)
        await registry.revoke_event_tickets(uow, event.event.id, envelope.occurred_at)

    async def on_tickets_issued(event: TicketsIssuedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await registry.register_issued_tickets(uow, event, keyring, digest_key)

    async def on_order_refunded(event: OrderRefundedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await registry.revoke_refunded_tickets(uow, event, envelope.occurred_at)

    async def on_staff_changed(event: EventStaffChangedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await record_event_staff(uow.session, event_staff, event)

    consumer.on(EventPublishedV1, on_event_changed)
    consumer.on(EventUpdatedV1, on_event_changed)
    consumer.on(EventCancelledV1, on_event_cancelled)
    consumer.on(TicketsIssuedV1, on_tickets_issued)
    consumer.on(OrderRefundedV1, on_order_refunded)
    consumer.on(EventStaffChangedV1, on_staff_changed)

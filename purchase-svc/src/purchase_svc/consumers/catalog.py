"""Handlers for event-svc's messages; each runs inside the consumer's transaction (the decisions
on orders and the expired holds in batches, ``service/decisions.py`` and ``service/hold_expiry.py``)."""

from __future__ import annotations

from collections.abc import Sequence

from crowdify.contracts.catalog import (
    EventCancelledV1,
    EventPublishedV1,
    EventStaffChangedV1,
    EventUpdatedV1,
    HoldExpiredV1,
    HoldsDecidedV1,
    ReservationRejectedV1,
    TicketsReservedV1,
)
from crowdify.db import UnitOfWork
from crowdify.event_staff import record_event_staff
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope
from purchase_svc.adapters.tables import event_staff
from purchase_svc.service import decisions, hold_expiry
from purchase_svc.service.catalog_replica import remember_event
from purchase_svc.service.context import Purchases
from purchase_svc.service.event_cancellation import CancelledEventSettlement


def register_catalog_handlers(
    consumer: Consumer, purchases: Purchases, settlement: CancelledEventSettlement
) -> None:
    async def on_decided(batch: Sequence[tuple[HoldsDecidedV1, Envelope]], uow: UnitOfWork) -> None:
        # Held first: an order is in one list of one message (event-svc announces it once).
        await decisions.apply_reservations(
            purchases, [(held, str(envelope.id)) for message, envelope in batch for held in message.held], uow
        )
        await decisions.apply_rejections(
            purchases,
            [(refused, str(envelope.id)) for message, envelope in batch for refused in message.refused],
            uow,
        )

    # The per-order decisions sent before catalog.holds.decided.v1 (each one is an item of it),
    # applied the same way.
    async def on_reserved(reserved: Sequence[tuple[TicketsReservedV1, Envelope]], uow: UnitOfWork) -> None:
        await decisions.apply_reservations(
            purchases, [(m, str(envelope.id)) for m, envelope in reserved], uow
        )

    async def on_rejected(
        rejected: Sequence[tuple[ReservationRejectedV1, Envelope]], uow: UnitOfWork
    ) -> None:
        await decisions.apply_rejections(purchases, [(m, str(envelope.id)) for m, envelope in rejected], uow)

    async def on_holds_expired(expired: Sequence[tuple[HoldExpiredV1, Envelope]], uow: UnitOfWork) -> None:
        await hold_expiry.apply_expired_holds(purchases, expired, uow)

    async def on_event_changed(
        event: EventPublishedV1 | EventUpdatedV1, envelope: Envelope, uow: UnitOfWork
    ) -> None:
        await remember_event(uow, event.event, envelope.occurred_at)

    async def on_event_cancelled(event: EventCancelledV1, envelope: Envelope, uow: UnitOfWork) -> None:
        # Recorded here, settled by the worker's settlement once this has committed (one order
        # per transaction, outside this message's transaction: service/event_cancellation.py).
        await remember_event(uow, event.event, envelope.occurred_at)
        uow.after_commit(settlement.wake)

    async def on_staff_changed(event: EventStaffChangedV1, envelope: Envelope, uow: UnitOfWork) -> None:
        await record_event_staff(uow.session, event_staff, event)

    # Decisions and expiries are applied in batches (group commit): the ones waiting, in one
    # transaction.
    # Bounded by the decisions in a batch (the prefetch's worth), not its messages: each holds a
    # batch of event-svc's, and each held order costs a Mercado Pago call before the commit.
    consumer.on_batch(HoldsDecidedV1, on_decided, weight=lambda m: len(m.decisions))
    consumer.on_batch(TicketsReservedV1, on_reserved)
    consumer.on_batch(ReservationRejectedV1, on_rejected)
    consumer.on_batch(HoldExpiredV1, on_holds_expired)
    consumer.on(EventPublishedV1, on_event_changed)
    consumer.on(EventUpdatedV1, on_event_changed)
    consumer.on(EventCancelledV1, on_event_cancelled)
    consumer.on(EventStaffChangedV1, on_staff_changed)

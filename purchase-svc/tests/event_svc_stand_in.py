"""event-svc as purchase-svc meets it: on the broker, through the catalogue's messages.

The stand-in announces events as event-svc does (``catalog.event.published``,
``catalog.event.updated``, ``catalog.event_staff.changed``, ``catalog.event.cancelled``) and
answers every order purchase-svc places by event-svc's rules, in a ``catalog.holds.decided`` of its
own (as event-svc announces a batch of one): the whole order is held (priced, for the event's
``hold_minutes``) or refused: ``event_unavailable`` for an event or ticket type it does not
sell, ``limit_exceeded`` past a type's ``max_per_order`` or the buyer's cap on unpaid tickets
(:func:`crowdify.contracts.common.buyer_hold_cap`), ``sold_out`` when a type lacks room. A
cancelled or expired order gives its tickets back; a paid one keeps them and no longer counts as
unpaid. Holds expire when a test says so (:meth:`expire`), as event-svc's sweeper would once
their time is up.

Each test has a stand-in of its own on its own exchange; it keeps its stock in memory.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from crowdify.contracts.catalog import (
    EventCancelledV1,
    EventPublishedV1,
    EventStaffChangedV1,
    EventUpdatedV1,
    HeldOrder,
    HoldExpiredV1,
    HoldsDecidedV1,
    RefusedOrder,
    RejectionReason,
)
from crowdify.contracts.common import EventSnapshot, OrderLine, PricedLine, TicketTypeSnapshot, buyer_hold_cap
from crowdify.contracts.purchase import (
    OrderCancelledV1,
    OrderExpiredV1,
    OrderPaidV1,
    OrderPlacedV1,
    OrdersPlacedV1,
    PlacedOrder,
)
from crowdify.messaging.envelope import Envelope
from crowdify.testing.service_under_test import Publish

# What event-svc consumes of purchase-svc's messages (orders placed together, then each order's
# own messages).
ORDER_MESSAGES = ("purchase.orders.placed.v1", "purchase.order.#")


@dataclass
class Hold:
    event_id: uuid.UUID
    buyer: str
    lines: tuple[OrderLine, ...]
    unpaid: bool = True


class EventSvcStandIn:
    def __init__(self, publish: Publish) -> None:
        self.publish = publish
        self.events: dict[uuid.UUID, EventSnapshot] = {}
        self.taken: Counter[uuid.UUID] = Counter()  # tickets held or sold, per ticket type
        self.holds: dict[uuid.UUID, Hold] = {}  # live: neither released nor expired
        self.answered: set[uuid.UUID] = set()  # every order held or rejected once
        # Cleared, new orders wait unanswered (as behind a slow event-svc) until it is set again.
        self.answering = asyncio.Event()
        self.answering.set()

    async def on_sale(
        self, *, capacity: int = 10, child: bool = False, max_per_order: int = 10, creator: str = "organiser"
    ) -> dict[str, Any]:
        """An event of ``creator``'s with one ticket type (General, $15.000), published now."""
        starts = datetime.now(UTC) + timedelta(days=30)
        general = TicketTypeSnapshot(
            id=uuid.uuid4(),
            name="General",
            price=15000,
            currency="CLP",
            capacity=capacity,
            max_per_order=max_per_order,
            requires_child_details=child,
        )
        event = EventSnapshot(
            id=uuid.uuid4(),
            name="Cumbia Fest",
            venue="Teatro Caupolicán",
            starts_at=starts,
            status="published",
            hold_minutes=10,
            ticket_types=(general,),
        )
        self.events[event.id] = event
        staff = EventStaffChangedV1(
            event_id=event.id, staff=(creator,), revision=1, changed_at=datetime.now(UTC)
        )
        await self.publish(staff)
        await self.publish(EventPublishedV1(event=event))
        return {"event_id": str(event.id), "ticket_type_id": str(general.id)}

    async def add_ticket_type(self, event_id: str, **fields: Any) -> uuid.UUID:
        """A new ticket type on a published event, announced with the whole event."""
        added = TicketTypeSnapshot(id=uuid.uuid4(), currency="CLP", **fields)
        event = self.events[uuid.UUID(event_id)]
        event = event.model_copy(update={"ticket_types": (*event.ticket_types, added)})
        self.events[event.id] = event
        await self.publish(EventUpdatedV1(event=event))
        return added.id

    async def cancel(self, event_id: str) -> None:
        """The organiser cancels the event: announced with the whole event, now ``cancelled``."""
        event = self.events[uuid.UUID(event_id)].model_copy(update={"status": "cancelled"})
        self.events[event.id] = event
        await self.publish(EventCancelledV1(event=event, reason="suspendido por lluvia"))

    async def expire(self, order_id: str) -> None:
        """The hold's time is up: its tickets go back on sale and purchase-svc is told."""
        hold = self.holds[uuid.UUID(order_id)]
        self._release(uuid.UUID(order_id))
        expired = HoldExpiredV1(
            order_id=uuid.UUID(order_id),
            event_id=hold.event_id,
            expired_at=datetime.now(UTC),
            lines=hold.lines,
        )
        await self.publish(expired)

    async def answer(self, envelope: Envelope) -> None:
        """What event-svc does with each of purchase-svc's order messages."""
        if envelope.type in (OrdersPlacedV1.name, OrderPlacedV1.name):
            await self.answering.wait()
        if envelope.type == OrdersPlacedV1.name:
            for placed in envelope.parse(OrdersPlacedV1).orders:
                await self._reserve(placed)
            return
        order_id = uuid.UUID(envelope.payload["order_id"])
        if envelope.type == OrderPlacedV1.name:
            await self._reserve(envelope.parse(OrderPlacedV1))
        elif envelope.type in (OrderCancelledV1.name, OrderExpiredV1.name):
            self._release(order_id)
        elif envelope.type == OrderPaidV1.name and order_id in self.holds:
            self.holds[order_id].unpaid = False

    async def _reserve(self, placed: PlacedOrder) -> None:
        if placed.order_id in self.answered:
            return  # a redelivery
        # Decided and taken before anything is awaited, so concurrent orders never oversell.
        self.answered.add(placed.order_id)
        refusal = self._refusal(placed)
        if refusal is not None:
            refused = RefusedOrder(order_id=placed.order_id, event_id=placed.event_id, reason=refusal)
            await self.publish(HoldsDecidedV1(refused=(refused,)))
            return
        for line in placed.lines:
            self.taken[line.ticket_type_id] += line.quantity
        self.holds[placed.order_id] = Hold(placed.event_id, placed.user_id, placed.lines)
        await self.publish(HoldsDecidedV1(held=(self._held(placed),)))

    def _refusal(self, placed: PlacedOrder) -> RejectionReason | None:
        event = self.events.get(placed.event_id)
        types = {t.id: t for t in event.ticket_types} if event else {}
        if event is None or any(line.ticket_type_id not in types for line in placed.lines):
            return "event_unavailable"
        if any(line.quantity > types[line.ticket_type_id].max_per_order for line in placed.lines):
            return "limit_exceeded"
        cap = buyer_hold_cap(event.max_held_per_buyer, (t.max_per_order for t in event.ticket_types))
        if self._unpaid_of(placed.user_id, event.id) + sum(line.quantity for line in placed.lines) > cap:
            return "limit_exceeded"
        if any(
            self.taken[line.ticket_type_id] + line.quantity > types[line.ticket_type_id].capacity
            for line in placed.lines
        ):
            return "sold_out"
        return None

    def _unpaid_of(self, buyer: str, event_id: uuid.UUID) -> int:
        return sum(
            line.quantity
            for hold in self.holds.values()
            if hold.unpaid and hold.buyer == buyer and hold.event_id == event_id
            for line in hold.lines
        )

    def _held(self, placed: PlacedOrder) -> HeldOrder:
        event = self.events[placed.event_id]
        types = {t.id: t for t in event.ticket_types}
        lines = tuple(
            PricedLine(
                ticket_type_id=line.ticket_type_id,
                ticket_type_name=types[line.ticket_type_id].name,
                quantity=line.quantity,
                unit_price=types[line.ticket_type_id].price,
                currency=types[line.ticket_type_id].currency,
            )
            for line in placed.lines
        )
        return HeldOrder(
            order_id=placed.order_id,
            event_id=event.id,
            hold_expires_at=datetime.now(UTC) + timedelta(minutes=event.hold_minutes),
            lines=lines,
            total=sum(line.unit_price * line.quantity for line in lines),
            currency=lines[0].currency,
            event_name=event.name,
            event_starts_at=event.starts_at,
            venue=event.venue,
        )

    def _release(self, order_id: uuid.UUID) -> None:
        hold = self.holds.pop(order_id, None)
        if hold is not None:
            for line in hold.lines:
                self.taken[line.ticket_type_id] -= line.quantity

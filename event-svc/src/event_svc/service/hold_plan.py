"""The rules of a hold, applied in memory to a batch of orders against locked counters.

``holding.py`` locks the rows and reads them, :func:`plan` decides every order in arrival order
(first come, first served within a type) and says how much each event and ticket type must take;
nothing here touches the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from crowdify.contracts.catalog import RejectionReason
from crowdify.contracts.common import PricedLine, buyer_hold_cap
from crowdify.inputs import INT32_MAX
from event_svc.service.counters import Line


@dataclass(frozen=True)
class PlacedOrder:
    """An order to decide, as purchase-svc placed it (lines merged by :func:`counters.merge`)."""

    order_id: uuid.UUID
    event_id: uuid.UUID
    buyer_id: str | None
    lines: list[Line]
    causation_id: str | None = None


class Refused(Exception):
    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(detail)
        self.reason: RejectionReason = reason
        self.detail = detail


@dataclass
class Decision:
    order: PlacedOrder
    refused: Refused | None = None
    priced: list[PricedLine] = field(default_factory=list)


@dataclass
class Plan:
    """The batch decided in memory, before anything is written."""

    decisions: list[Decision] = field(default_factory=list)
    per_event: dict[uuid.UUID, int] = field(default_factory=dict)
    per_type: dict[uuid.UUID, int] = field(default_factory=dict)

    @property
    def short_of_room(self) -> bool:
        return any(d.refused is not None and d.refused.reason == "sold_out" for d in self.decisions)


def _in_window(now: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or start <= now) and (end is None or now < end)


def _check_orderable(
    order: PlacedOrder, events: Mapping[uuid.UUID, Any], types: Mapping[uuid.UUID, Any], now: datetime
) -> tuple[Any, list[Any]]:
    """The event and the order's ticket types, or why the order cannot be held."""
    event = events.get(order.event_id)
    if event is None or event["status"] != "published":
        raise Refused("event_unavailable", "the event is not on sale")
    if (event["ends_at"] or event["starts_at"]) <= now:
        raise Refused("event_unavailable", "the event is over")
    found = [types.get(line.ticket_type_id) for line in order.lines]
    order_types = [t for t in found if t is not None and t["event_id"] == order.event_id]
    if len(order_types) != len(order.lines):
        raise Refused("event_unavailable", "a ticket type does not belong to this event")
    if not _in_window(now, event["sales_start"], event["sales_end"]):
        raise Refused("sales_closed", "sales for this event are closed")
    for line, t in zip(order.lines, order_types, strict=True):
        if not _in_window(now, t["sales_start"], t["sales_end"]):
            raise Refused("sales_closed", f"sales of {t['name']} are closed")
        if line.quantity > t["max_per_order"]:
            raise Refused("limit_exceeded", f"at most {t['max_per_order']} of {t['name']} per order")
    # Events created before one currency per event was enforced may still mix them: an order's
    # total is one amount in one currency, and it must fit the integer columns that store it.
    if len({t["currency"] for t in order_types}) > 1:
        raise Refused("event_unavailable", "one order cannot mix currencies")
    if sum(t["price"] * line.quantity for line, t in zip(order.lines, order_types, strict=True)) > INT32_MAX:
        raise Refused("limit_exceeded", "the order's total is larger than one payment can be")
    return event, order_types


def _check_buyer_cap(
    order: PlacedOrder, event: Any, order_types: list[Any], held_by_buyer: dict[tuple[uuid.UUID, str], int]
) -> None:
    """Refuse an order that would leave one buyer holding more than the event's cap unpaid
    (counting the holds committed before and those this batch already took)."""
    wanted = sum(line.quantity for line in order.lines)
    cap = buyer_hold_cap(event["max_held_per_buyer"], (t["max_per_order"] for t in order_types))
    if order.buyer_id is None:
        if wanted > cap:
            raise Refused("limit_exceeded", f"at most {cap} tickets per order for this event")
        return
    already = held_by_buyer.get((order.event_id, order.buyer_id), 0)
    if already + wanted > cap:
        raise Refused(
            "limit_exceeded", f"at most {cap} unpaid tickets per buyer for this event; {already} already held"
        )


def plan(
    orders: Sequence[PlacedOrder],
    events: Mapping[uuid.UUID, Any],
    types: Mapping[uuid.UUID, Any],
    held_by_buyer: dict[tuple[uuid.UUID, str], int],
    now: datetime,
) -> Plan:
    """Decide every order in arrival order against the locked counters."""
    event_room = {
        eid: None if e["capacity"] is None else e["capacity"] - e["sold"] - e["held"]
        for eid, e in events.items()
    }
    type_room = {tid: t["capacity"] - t["sold"] - t["held"] for tid, t in types.items()}
    plan = Plan()
    for order in orders:
        decision = Decision(order)
        plan.decisions.append(decision)
        total = sum(line.quantity for line in order.lines)
        try:
            event, order_types = _check_orderable(order, events, types, now)
            _check_buyer_cap(order, event, order_types, held_by_buyer)
            room = event_room[order.event_id]
            if (room is not None and room < total) or any(
                type_room[line.ticket_type_id] < line.quantity for line in order.lines
            ):
                raise Refused("sold_out", "not enough tickets left")
        except Refused as refused:
            decision.refused = refused
            continue
        if room is not None:
            event_room[order.event_id] = room - total
        plan.per_event[order.event_id] = plan.per_event.get(order.event_id, 0) + total
        for line, t in zip(order.lines, order_types, strict=True):
            type_room[line.ticket_type_id] -= line.quantity
            plan.per_type[line.ticket_type_id] = plan.per_type.get(line.ticket_type_id, 0) + line.quantity
            decision.priced.append(
                PricedLine(
                    ticket_type_id=line.ticket_type_id,
                    ticket_type_name=t["name"],
                    quantity=line.quantity,
                    unit_price=t["price"],
                    currency=t["currency"],
                )
            )
        if order.buyer_id is not None:
            key = (order.event_id, order.buyer_id)
            held_by_buyer[key] = held_by_buyer.get(key, 0) + total
    return plan

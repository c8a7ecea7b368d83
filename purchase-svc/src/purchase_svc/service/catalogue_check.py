"""The advisory check of an order against the catalogue purchase-svc knows (422s), and the
process's copy of that catalogue.

event-svc owns the decision; this only refuses early what the latest snapshot already says is
wrong. The snapshots are kept in memory per process and checked for freshness by the statement
that places the order (it compares the snapshot's ``as_of``), so an on-sale reads the catalogue
once per event, not once per order, and an order is never judged against an outdated snapshot.
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from crowdify.contracts.common import buyer_hold_cap
from purchase_svc.adapters.order_statements import CatalogueEntry
from purchase_svc.service.commands import PlaceOrder
from purchase_svc.service.errors import InvalidOrder

# Events remembered per process; past this the copy starts again (an on-sale has a handful).
MAX_EVENTS: Final = 1024


class CatalogueCopy:
    def __init__(self) -> None:
        self._entries: dict[uuid.UUID, CatalogueEntry] = {}

    def get(self, event_id: uuid.UUID) -> CatalogueEntry | None:
        return self._entries.get(event_id)

    def remember(self, event_id: uuid.UUID, entry: CatalogueEntry) -> None:
        if len(self._entries) >= MAX_EVENTS:
            self._entries.clear()
        self._entries[event_id] = entry


def catalogue_problem(snapshot: dict[str, Any] | None, request: PlaceOrder) -> InvalidOrder | None:
    """What the catalogue already tells us is wrong with ``request`` (422), or None. An event not
    (yet) known here is left to event-svc, which answers ``event_unavailable``."""
    if snapshot is None:
        return None
    types = {t["id"]: t for t in snapshot.get("ticket_types", [])}
    cap = buyer_hold_cap(snapshot.get("max_held_per_buyer"), (t["max_per_order"] for t in types.values()))
    if sum(item.quantity for item in request.items) > cap:
        return InvalidOrder(f"at most {cap} tickets per order for this event")
    ordered = [types[str(item.ticket_type_id)] for item in request.items if str(item.ticket_type_id) in types]
    if len({t.get("currency") for t in ordered}) > 1:
        return InvalidOrder("Una compra se paga en una sola moneda", code="mixed_currencies")
    for item in request.items:
        ticket_type = types.get(str(item.ticket_type_id))
        if ticket_type is None:
            return InvalidOrder(f"ticket type {item.ticket_type_id} is not sold for this event")
        if item.quantity > ticket_type["max_per_order"]:
            return InvalidOrder(
                f"at most {ticket_type['max_per_order']} tickets of {ticket_type['name']} per order"
            )
        missing_children = item.attendees is None or any(a.child is None for a in item.attendees)
        if ticket_type.get("requires_child_details") and missing_children:
            return InvalidOrder(f"{ticket_type['name']} needs one attendee with child details per ticket")
    return None

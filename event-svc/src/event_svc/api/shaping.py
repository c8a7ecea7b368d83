"""Service results -> response bodies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from event_svc.api.schemas import EventOut, EventStats, TicketTypeOut, TicketTypeStats
from event_svc.service.catalog import EventView
from event_svc.service.snapshots import available


def ticket_type_out(row: Mapping[Any, Any], event: Mapping[Any, Any] | None = None) -> TicketTypeOut:
    return TicketTypeOut.model_validate({**row, "available": available(row, event)})


def event_out(view: EventView) -> EventOut:
    return EventOut.model_validate(
        {**view.event, "ticket_types": [ticket_type_out(t, view.event) for t in view.ticket_types]}
    )


def event_stats(view: EventView) -> EventStats:
    return EventStats(
        event_id=view.event["id"],
        capacity=view.event["capacity"],
        sold=view.event["sold"],
        held=view.event["held"],
        ticket_types=[
            TicketTypeStats(
                ticket_type_id=t["id"],
                name=t["name"],
                capacity=t["capacity"],
                sold=t["sold"],
                held=t["held"],
                available=available(t, view.event),
            )
            for t in view.ticket_types
        ],
    )

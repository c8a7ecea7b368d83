"""Rows -> the shapes the API answers with and the messages carry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from crowdify.contracts.common import EventSnapshot, TicketTypeSnapshot


def available(type_row: Mapping[Any, Any], event_row: Mapping[Any, Any] | None = None) -> int:
    """Tickets of a type still for sale: its own room, bounded by the venue-wide room if any."""
    room: int = type_row["capacity"] - type_row["sold"] - type_row["held"]
    if event_row is not None and event_row["capacity"] is not None:
        room = min(room, event_row["capacity"] - event_row["sold"] - event_row["held"])
    return max(room, 0)


def event_snapshot(event: Mapping[Any, Any], types: Sequence[Mapping[Any, Any]]) -> EventSnapshot:
    return EventSnapshot(
        id=event["id"],
        name=event["name"],
        description=event["description"],
        venue=event["venue"],
        city=event["city"],
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        timezone=event["timezone"],
        status=event["status"],
        sales_start=event["sales_start"],
        sales_end=event["sales_end"],
        hold_minutes=event["hold_minutes"],
        capacity=event["capacity"],
        reentry_allowed=event["reentry_allowed"],
        max_held_per_buyer=event["max_held_per_buyer"],
        ticket_types=tuple(
            TicketTypeSnapshot(
                id=t["id"],
                name=t["name"],
                description=t["description"],
                price=t["price"],
                currency=t["currency"],
                capacity=t["capacity"],
                max_per_order=t["max_per_order"],
                sales_start=t["sales_start"],
                sales_end=t["sales_end"],
                requires_child_details=t["requires_child_details"],
            )
            for t in types
        ),
    )

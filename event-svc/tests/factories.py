"""Build catalogue data through event-svc's own use cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from event_svc.service import catalog


def event_values(**overrides: Any) -> dict[str, Any]:
    starts = datetime.now(UTC) + timedelta(days=10)
    values: dict[str, Any] = {
        "name": "Concierto de prueba",
        "description": None,
        "venue": "Teatro Caupolicán",
        "city": "Santiago",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=3),
        "timezone": "America/Santiago",
        "sales_start": None,
        "sales_end": None,
        "hold_minutes": 10,
        "capacity": None,
        "reentry_allowed": False,
    }
    values.update(overrides)
    return values


def type_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "General",
        "description": None,
        "price": 15000,
        "currency": "CLP",
        "capacity": 10,
        "max_per_order": 10,
        "sales_start": None,
        "sales_end": None,
        "requires_child_details": False,
    }
    values.update(overrides)
    return values


async def published_event(
    cat: catalog.Catalog, *, types: list[dict[str, Any]] | None = None, **event_overrides: Any
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    view = await catalog.create_event(cat, event_values(**event_overrides), created_by="organiser")
    event_id = view.event["id"]
    type_ids = []
    for values in types or [type_values()]:
        row = await catalog.create_ticket_type(cat, event_id, values)
        type_ids.append(row["id"])
    await catalog.publish_event(cat, event_id)
    return event_id, type_ids

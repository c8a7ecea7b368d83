"""Seed the demo data: one published event with three ticket types. Safe to run again.

    python -m crowdify_tools.seed

Runs event-svc's own use cases against its database (as its role), so the demo event is created
exactly as an organiser would create it, outbox messages included (the worker's relay sends them).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import event_svc.service.catalog as catalog
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.messaging.outbox import Outbox
from event_svc.adapters.tables import events, messaging
from event_svc.settings import get_settings

DEMO_EVENT_NAME = "Festival Crowdify Santiago"
DEMO_ORGANISER_ID = "00000000-0000-4000-8000-000000000001"  # admin@crowdify.test in the emulator


async def seed() -> None:
    settings = get_settings()
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=2)
    uow_factory = UnitOfWorkFactory(engine)
    outbox = Outbox(messaging, None)
    outbox.attach(uow_factory)
    cat = catalog.Catalog(uow_factory, outbox)
    try:
        async with uow_factory() as uow:
            existing = (
                await uow.session.execute(events.select().where(events.c.name == DEMO_EVENT_NAME))
            ).first()
        if existing is not None:
            print(f"demo event already present: {existing.id}")
            return
        starts = (datetime.now(UTC) + timedelta(days=30)).replace(hour=23, minute=0, second=0, microsecond=0)
        view = await catalog.create_event(
            cat,
            {
                "name": DEMO_EVENT_NAME,
                "description": "Tres escenarios, doce bandas, un día completo de música en vivo.",
                "venue": "Parque O'Higgins",
                "city": "Santiago",
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=8),
                "timezone": "America/Santiago",
                "hold_minutes": 10,
                "capacity": 1200,
                "reentry_allowed": False,
            },
            created_by=DEMO_ORGANISER_ID,
        )
        event_id: uuid.UUID = view.event["id"]
        for name, price, capacity, child in (
            ("General", 25000, 1000, False),
            ("VIP", 60000, 150, False),
            ("Niño (hasta 12 años)", 10000, 100, True),
        ):
            await catalog.create_ticket_type(
                cat,
                event_id,
                {
                    "name": name,
                    "description": None,
                    "price": price,
                    "currency": "CLP",
                    "capacity": capacity,
                    "max_per_order": 10,
                    "sales_start": None,
                    "sales_end": None,
                    "requires_child_details": child,
                },
            )
        await catalog.publish_event(cat, event_id)
        print(f"seeded demo event {event_id}")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(seed())

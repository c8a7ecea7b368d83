"""Rebuild admin-svc's read model from its journal::

    python -m admin_svc.rebuild

Empties the dashboards' tables and applies every message admin-svc has ever taken in again, in one
transaction: run it after a change to how messages are projected, or to check that the read model
matches its journal. Safe while the worker runs (its new messages wait for the rebuild's lock).
"""

from __future__ import annotations

import asyncio

from admin_svc.service.journal import rebuild
from admin_svc.settings import get_settings
from crowdify.db import UnitOfWorkFactory, create_engine


async def main() -> None:
    settings = get_settings()
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        replayed = await rebuild(UnitOfWorkFactory(engine))
    finally:
        await engine.dispose()
    print(f"read model rebuilt from {replayed} journalled messages")


if __name__ == "__main__":
    asyncio.run(main())

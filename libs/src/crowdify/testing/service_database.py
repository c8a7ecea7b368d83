"""A database of a test session's own, provisioned and migrated exactly like production.

    async with migrated_database("crowdify_test_event", ["event-svc"]) as name:
        url = f"postgresql+asyncpg://event_svc@127.0.0.1:5432/{name}"

Roles and schemas come from :mod:`crowdify.db.provision`; each listed service's real Alembic
history runs with that service's own role, so the migrations themselves are tested every run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config

from crowdify.db.provision import SERVICE_SCHEMAS, create_database, drop_database, provision_schemas
from crowdify.testing.names import unique_name

REPO_ROOT = Path(__file__).resolve().parents[4]
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432"


def service_url(service: str, database: str) -> str:
    """The asyncpg URL a service uses, with its own role, for ``database``."""
    role = next(s.role for s in SERVICE_SCHEMAS if s.service == service)
    return f"postgresql+asyncpg://{role}@127.0.0.1:5432/{database}"


def _migrate(service: str, database: str) -> None:
    config = Config(str(REPO_ROOT / service / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", service_url(service, database))
    command.upgrade(config, "head")


@asynccontextmanager
async def migrated_database(prefix: str, services: Sequence[str]) -> AsyncIterator[str]:
    name = unique_name(prefix).replace("-", "_").replace(".", "_")
    await create_database(f"{ADMIN_DSN}/postgres", name)
    try:
        await provision_schemas(f"{ADMIN_DSN}/{name}")
        for service in services:
            # Alembic's env runs its own event loop; give it a thread of its own.
            await asyncio.to_thread(_migrate, service, name)
        yield name
    finally:
        await drop_database(f"{ADMIN_DSN}/postgres", name)

"""A Postgres schema of its own for one test, dropped afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from crowdify.db.engine import create_engine
from crowdify.testing.names import unique_name


@dataclass(frozen=True)
class SchemaUnderTest:
    name: str
    engine: AsyncEngine  # search_path pinned to ``name``; the metadata's schema is mapped to it


@asynccontextmanager
async def unique_schema(
    database_url: str,
    *,
    metadata: MetaData | None = None,
    prefix: str = "test",
    pool_size: int = 5,
) -> AsyncIterator[SchemaUnderTest]:
    """Create a fresh schema (and ``metadata``'s tables in it), yield an engine on it, drop it.

    ``metadata`` may name a fixed schema (a service's ``schema_metadata("event")``): the
    engine's ``schema_translate_map`` sends that schema to the unique one, so the service's
    own tables and queries run unchanged, isolated from every other test.
    """
    name = unique_name(prefix)
    admin = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    base_engine: AsyncEngine | None = None
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{name}"'))
        base_engine = engine = create_engine(database_url, name, pool_size=pool_size)
        if metadata is not None and metadata.schema is not None:
            engine = engine.execution_options(schema_translate_map={metadata.schema: name})
        if metadata is not None:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
        yield SchemaUnderTest(name=name, engine=engine)
    finally:
        if base_engine is not None:
            await base_engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        await admin.dispose()

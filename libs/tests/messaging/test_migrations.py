"""The Alembic operations create exactly the tables the runtime uses, and drop them again."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from crowdify.db import schema_metadata
from crowdify.messaging import messaging_tables
from crowdify.messaging.migrations import create_messaging_tables, drop_messaging_tables
from crowdify.testing import unique_schema

pytestmark = pytest.mark.integration


def _upgrade_and_diff(connection, schema: str):
    create_messaging_tables(Operations(MigrationContext.configure(connection)), schema)
    metadata = schema_metadata(schema)
    messaging_tables(metadata)
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, parent: type_ != "schema" or name == schema,
            "compare_type": True,
        },
    )
    return compare_metadata(context, metadata)


def _downgrade_and_list(connection, schema: str) -> list[str]:
    drop_messaging_tables(Operations(MigrationContext.configure(connection)), schema)
    return inspect(connection).get_table_names(schema=schema)


def _unpublished_index(connection, schema: str) -> dict:
    [index] = inspect(connection).get_indexes("outbox", schema=schema)
    return index


async def test_migration_matches_the_tables_and_round_trips(infra):
    # A plain engine (default search_path): Alembic compares a named schema other than the
    # connection's default one, as it does for a service whose tables name their schema.
    engine = create_async_engine(infra.database_url)
    try:
        async with unique_schema(infra.database_url, prefix="mig") as schema, engine.begin() as conn:
            assert await conn.run_sync(_upgrade_and_diff, schema.name) == []
            index = await conn.run_sync(_unpublished_index, schema.name)
            assert index["name"] == "ix_outbox_unpublished"
            assert "published_at IS NULL" in index["dialect_options"]["postgresql_where"]
            assert await conn.run_sync(_downgrade_and_list, schema.name) == []
    finally:
        await engine.dispose()

"""The Alembic operations create exactly the tables the runtime uses, and drop them again."""

from __future__ import annotations

import io

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from crowdify.db import schema_metadata
from crowdify.messaging import messaging_tables
from crowdify.messaging.migrations import create_messaging_tables_v1, drop_messaging_tables_v1
from crowdify.testing import unique_schema
from crowdify.testing.schema_drift import compare_schema

pytestmark = pytest.mark.integration


def _upgrade_and_diff(connection, schema: str):
    create_messaging_tables_v1(Operations(MigrationContext.configure(connection)), schema)
    metadata = schema_metadata(schema)
    messaging_tables(metadata)
    return compare_schema(connection, metadata, schema)


def _downgrade_and_list(connection, schema: str) -> list[str]:
    drop_messaging_tables_v1(Operations(MigrationContext.configure(connection)), schema)
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


# What every service's first revision created. Version 1 is frozen: a migration that has run must
# never change meaning, so a change to the tables is a v2 and new revisions, never an edit here.
MESSAGING_TABLES_V1_DDL = """
CREATE TABLE svc.outbox (
    id UUID NOT NULL, routing_key TEXT NOT NULL, envelope JSONB NOT NULL,
    headers JSONB DEFAULT '{}'::jsonb NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    published_at TIMESTAMP WITH TIME ZONE, attempts INTEGER DEFAULT 0 NOT NULL,
    next_attempt_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL, last_error TEXT,
    CONSTRAINT pk_outbox PRIMARY KEY (id)
);
CREATE INDEX ix_outbox_unpublished ON svc.outbox (next_attempt_at, created_at) WHERE published_at IS NULL;
CREATE TABLE svc.inbox (
    consumer TEXT NOT NULL, message_id TEXT NOT NULL, message_type TEXT NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_inbox PRIMARY KEY (consumer, message_id)
);
"""


def _words(sql: str) -> str:
    return " ".join(sql.replace(", ", ",").replace(",", ", ").split())


def test_version_1_of_the_messaging_tables_is_frozen():
    emitted = io.StringIO()
    offline = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": emitted}
    )
    create_messaging_tables_v1(Operations(offline), "svc")
    assert _words(emitted.getvalue()) == _words(MESSAGING_TABLES_V1_DDL)

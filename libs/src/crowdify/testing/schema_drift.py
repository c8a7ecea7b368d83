"""What Alembic's autogenerate would still change after a service's migrations have run.

    drift = await schema_drift(service_url("event-svc", database), metadata, schema="event")
    assert drift == []

Compared as the services' ``migrations/env.py`` compare (:mod:`crowdify.db.alembic_env`): only
the service's own schema, column types included. An empty list means the migrations create
exactly the tables, columns, indexes and constraints the code declares.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def compare_schema(connection: Connection, metadata: MetaData, schema: str) -> list[Any]:
    """:func:`schema_drift` on a connection already open (a synchronous one, inside ``run_sync``)."""

    def only_this_schema(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return type_ != "table" or obj.schema == schema

    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, parent: type_ != "schema" or name == schema,
            "include_object": only_this_schema,
            "compare_type": True,
            # The history's own table (``<schema>.alembic_version``) is no table of the code's.
            "version_table_schema": schema,
        },
    )
    diff: list[Any] = compare_metadata(context, metadata)
    return diff


async def schema_drift(database_url: str, metadata: MetaData, *, schema: str) -> list[Any]:
    """Autogenerate's differences between the live ``schema`` and ``metadata`` ([] when none)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare_schema, metadata, schema)
    finally:
        await engine.dispose()

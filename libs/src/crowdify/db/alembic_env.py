"""Alembic ``env.py`` helper: each service keeps its history in its own schema.

A service's ``migrations/env.py`` is two lines::

    from crowdify.db.alembic_env import run_migrations
    run_migrations(metadata, schema="event", url_env="DATABASE_URL")

The version table lives in the service's schema (``<schema>.alembic_version``), so services
migrate independently and no service needs rights outside its own schema.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config


def _include_object(schema: str):  # type: ignore[no-untyped-def]
    def include(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        if type_ == "table":
            return bool(obj.schema == schema)
        return True

    return include


def _configure_and_run(connection: Connection, metadata: MetaData, schema: str) -> None:
    # In deployments the schema is provisioned (owned by the service role, which may not create
    # schemas); create it only where it is missing and the connecting role is allowed to.
    exists = connection.execute(
        text("SELECT 1 FROM pg_namespace WHERE nspname = :schema"), {"schema": schema}
    ).first()
    if not exists:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    connection.execute(text(f'SET search_path TO "{schema}"'))
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table_schema=schema,
        include_schemas=True,
        include_object=_include_object(schema),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData, schema: str) -> None:
    engine = async_engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run, metadata, schema)
        await connection.commit()
    await engine.dispose()


def run_migrations(metadata: MetaData, *, schema: str, url: str) -> None:
    """Run the service's migrations online (offline SQL generation is not used here)."""
    config_url = context.config.get_main_option("sqlalchemy.url")
    asyncio.run(_run_async(config_url or url, metadata, schema))

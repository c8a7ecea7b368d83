"""Create a Crowdify database with one schema and one login role per service.

Each service role owns its schema and nothing else: it has no USAGE on any other service's schema
and cannot create objects in ``public``, so a service physically cannot read or write another
service's tables. Run as a superuser (``postgres``); safe to run again.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

import asyncpg

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class ServiceSchema:
    service: str
    role: str
    schema: str


# Every service that owns data. A service joins this list with its first migration.
SERVICE_SCHEMAS: tuple[ServiceSchema, ...] = (
    ServiceSchema("event-svc", "event_svc", "event"),
    ServiceSchema("purchase-svc", "purchase_svc", "purchase"),
    ServiceSchema("validation-svc", "validation_svc", "validation"),
    ServiceSchema("notification-svc", "notification_svc", "notification"),
    ServiceSchema("pdf-svc", "pdf_svc", "pdf"),
    ServiceSchema("admin-svc", "admin_svc", "admin"),
)


# Settings of the database itself, for every session that connects to it (ADR 0023). A door rush
# commits thousands of small transactions a second, and after each checkpoint the first change to
# every page writes the whole page into the WAL, which each commit then waits to flush: compressed,
# those images are a fraction of their size. Only a superuser may set it per database; on a managed
# server without one, it belongs in the server's parameters (docs/runbook.md).
DATABASE_SETTINGS: tuple[tuple[str, str], ...] = (("wal_compression", "lz4"),)


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a safe SQL identifier: {name!r}")
    return f'"{name}"'


async def create_database(admin_dsn: str, database: str) -> bool:
    """Create ``database`` if missing; returns whether it was created."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        await conn.execute(f"CREATE DATABASE {_ident(database)}")
        return True
    finally:
        await conn.close()


async def drop_database(admin_dsn: str, database: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_ident(database)} WITH (FORCE)")
    finally:
        await conn.close()


async def provision_schemas(database_dsn: str, services: tuple[ServiceSchema, ...] = SERVICE_SCHEMAS) -> None:
    """Roles (cluster-wide, created once) and schemas (per database), with least privilege.

    Role passwords are an operator's business (set outside the repository); on development
    machines PostgreSQL trusts loopback connections.
    """
    conn = await asyncpg.connect(database_dsn)
    try:
        database = await conn.fetchval("SELECT current_database()")
        # Nobody but the owner may create in public; services keep to their own schema.
        await conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        await conn.execute(f"REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC")
        if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            for name, value in DATABASE_SETTINGS:
                await conn.execute(f"ALTER DATABASE {_ident(database)} SET {_ident(name)} = '{value}'")
        for svc in services:
            role, schema = _ident(svc.role), _ident(svc.schema)
            has_role = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", svc.role)
            if not has_role:
                # Concurrent provisioners (parallel test sessions) may race to create a role.
                with contextlib.suppress(asyncpg.DuplicateObjectError):
                    await conn.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
            await conn.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(database)} TO {role}")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {role}")
            await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {role}")
            await conn.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
    finally:
        await conn.close()

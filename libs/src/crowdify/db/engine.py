"""Async engine per service, with ``search_path`` pinned to the service's own schema."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def asyncpg_dsn(database_url: str) -> str:
    """A service's ``postgresql+asyncpg://...`` URL (SQLAlchemy's spelling) as asyncpg itself
    takes it, for a pool of prepared statements beside the engine."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


def schema_metadata(schema: str) -> MetaData:
    """MetaData whose tables live in ``schema``, with constraint names Alembic can diff."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def create_engine(url: str, schema: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """Engine whose connections see only ``schema`` (and ``pg_catalog``) unless told otherwise.

    Tables are always schema-qualified through their MetaData; the pinned ``search_path`` is a
    second fence so an unqualified name cannot silently reach another service's schema.
    """
    return create_async_engine(
        url,
        # Up to as many again in a burst, each closed on return. A fixed pool would spare those
        # sessions (purchase-svc opened 141 in one on-sale round), but tried, it left
        # purchase-worker's handlers of cancelled events waiting past the pool's timeout, and
        # their messages parked (docs/performance.md, "Then the on-sale's database connections").
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: with asyncpg it is three round trips on every checkout (a third of a short
        # unit of work's client CPU, docs/performance.md). A connection the server dropped fails
        # its next statement once; SQLAlchemy then invalidates the whole pool (it was dropped
        # together), and the caller gets 503 (crowdify.errors) or the message's retry.
        pool_pre_ping=False,
        pool_recycle=1800,
        echo=echo,
        # Errors would otherwise quote bound values (names, emails, RUT) into logs and headers.
        hide_parameters=True,
        connect_args={"server_settings": {"search_path": schema, "application_name": schema}},
    )

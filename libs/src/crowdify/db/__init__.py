"""Database access shared by the services: one async engine per service, bound to its own schema."""

from crowdify.db.engine import asyncpg_dsn, create_engine, schema_metadata
from crowdify.db.uow import UnitOfWork, UnitOfWorkFactory

__all__ = ["UnitOfWork", "UnitOfWorkFactory", "asyncpg_dsn", "create_engine", "schema_metadata"]

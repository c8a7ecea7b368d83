"""The schema a service's migration is running in, for migrations to name in raw SQL."""

from __future__ import annotations

from alembic import op


def migration_schema() -> str:
    """The service's schema: its Alembic version table lives there (``crowdify.db.alembic_env``)."""
    schema = op.get_context().version_table_schema
    if not schema:
        raise RuntimeError(
            "a service's migrations run through crowdify.db.alembic_env, which sets its schema"
        )
    return str(schema)

"""Alembic environment of validation-svc: its history lives in the ``validation`` schema."""

from crowdify.db.alembic_env import run_migrations
from validation_svc.adapters.tables import metadata
from validation_svc.settings import get_settings

settings = get_settings()
run_migrations(metadata, schema=settings.db_schema, url=settings.database_url)

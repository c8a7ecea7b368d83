"""Alembic environment of admin-svc: its history lives in the ``admin`` schema."""

from admin_svc.adapters.tables import metadata
from admin_svc.settings import get_settings
from crowdify.db.alembic_env import run_migrations

settings = get_settings()
run_migrations(metadata, schema=settings.db_schema, url=settings.database_url)

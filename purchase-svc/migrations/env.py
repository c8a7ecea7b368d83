"""Alembic environment of purchase-svc: its history lives in the ``purchase`` schema."""

from crowdify.db.alembic_env import run_migrations
from purchase_svc.adapters.tables import metadata
from purchase_svc.settings import get_settings

settings = get_settings()
run_migrations(metadata, schema=settings.db_schema, url=settings.database_url)

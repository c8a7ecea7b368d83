"""Alembic environment of notification-svc: its history lives in the ``notification`` schema."""

from crowdify.db.alembic_env import run_migrations
from notification_svc.adapters.tables import metadata
from notification_svc.settings import get_settings

settings = get_settings()
run_migrations(metadata, schema=settings.db_schema, url=settings.database_url)

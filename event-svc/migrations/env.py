"""Alembic environment of event-svc: its history lives in the ``event`` schema."""

from crowdify.db.alembic_env import run_migrations
from event_svc.adapters.tables import metadata
from event_svc.settings import get_settings

settings = get_settings()
run_migrations(metadata, schema=settings.db_schema, url=settings.database_url)

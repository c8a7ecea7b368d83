"""Alembic environment of pdf-svc: its history lives in the ``pdf`` schema."""

from crowdify.db.alembic_env import run_migrations
from pdf_svc.adapters.tables import metadata
from pdf_svc.settings import get_settings

settings = get_settings()
run_migrations(metadata, schema=settings.db_schema, url=settings.database_url)

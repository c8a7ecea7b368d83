"""The reason an event was cancelled, as its organiser wrote it, for the buyers' page

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 03:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("events", sa.Column("cancellation_reason", sa.Text()), schema=migration_schema())


def downgrade() -> None:
    op.drop_column("events", "cancellation_reason", schema=migration_schema())

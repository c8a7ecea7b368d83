"""payments.refused_reason: why a fetched payment was not applied to its order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crowdify.db.migration_schema import migration_schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("refused_reason", sa.String(length=40), nullable=True), schema=migration_schema())


def downgrade() -> None:
    op.drop_column("payments", "refused_reason", schema=migration_schema())

"""refunds.cause and refunds.notice_reason: what a refund's announcement says, kept with the
request so a refund interrupted after it was requested can be completed later with the same words

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from crowdify.db.migration_schema import migration_schema

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = migration_schema()
    op.add_column("refunds", sa.Column("cause", sa.String(length=32), nullable=True), schema=schema)
    op.add_column("refunds", sa.Column("notice_reason", sa.String(length=200), nullable=True), schema=schema)


def downgrade() -> None:
    schema = migration_schema()
    op.drop_column("refunds", "notice_reason", schema=schema)
    op.drop_column("refunds", "cause", schema=schema)

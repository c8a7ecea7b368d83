"""payments.refused_reason: why a fetched payment was not applied to its order

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 07:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _schema() -> str:
    schema = op.get_context().version_table_schema
    assert schema, "purchase-svc migrations run through crowdify.db.alembic_env"
    return schema


def upgrade() -> None:
    op.add_column("payments", sa.Column("refused_reason", sa.String(length=40), nullable=True), schema=_schema())


def downgrade() -> None:
    op.drop_column("payments", "refused_reason", schema=_schema())

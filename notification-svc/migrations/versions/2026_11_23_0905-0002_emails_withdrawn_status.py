"""emails: a tickets email can be withdrawn (every ticket refunded before it went out)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:05:00+00:00
"""

from collections.abc import Sequence

from alembic import op
from crowdify.db.migration_schema import migration_schema

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    schema = migration_schema()
    op.drop_constraint(op.f('ck_emails_status'), 'emails', schema=schema, type_='check')
    op.create_check_constraint(
        op.f('ck_emails_status'), 'emails', "status IN ('pending', 'sent', 'failed', 'withdrawn')", schema=schema
    )


def downgrade() -> None:
    schema = migration_schema()
    op.execute(f"UPDATE {schema}.emails SET status = 'failed' WHERE status = 'withdrawn'")
    op.drop_constraint(op.f('ck_emails_status'), 'emails', schema=schema, type_='check')
    op.create_check_constraint(
        op.f('ck_emails_status'), 'emails', "status IN ('pending', 'sent', 'failed')", schema=schema
    )

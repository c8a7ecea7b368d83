"""event_staff (organiser scope) and tickets.announced_entry_at (first admissions announced)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crowdify.db.migration_schema import migration_schema
from crowdify.event_staff import create_event_staff_table, drop_event_staff_table

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNANNOUNCED = "first_entry_at IS NOT NULL AND announced_entry_at IS DISTINCT FROM first_entry_at"


def upgrade() -> None:
    schema = migration_schema()
    create_event_staff_table(op, schema)
    op.add_column("tickets", sa.Column("announced_entry_at", sa.DateTime(timezone=True)), schema=schema)
    op.create_index(
        "ix_tickets_admission_unannounced",
        "tickets",
        ["first_entry_at"],
        schema=schema,
        postgresql_where=sa.text(UNANNOUNCED),
    )


def downgrade() -> None:
    schema = migration_schema()
    op.drop_index("ix_tickets_admission_unannounced", table_name="tickets", schema=schema)
    op.drop_column("tickets", "announced_entry_at", schema=schema)
    drop_event_staff_table(op, schema)

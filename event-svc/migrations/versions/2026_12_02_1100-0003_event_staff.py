"""Event staff: who may manage each event (its creator plus the coordinators an admin adds)

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


def upgrade() -> None:
    schema = migration_schema()
    create_event_staff_table(op, schema)
    # Events created before this revision: their creator is their staff.
    op.execute(
        sa.text(
            f'INSERT INTO "{schema}".event_staff (event_id, user_ids, revision) '
            f'SELECT id, ARRAY[created_by], 1 FROM "{schema}".events'
        )
    )


def downgrade() -> None:
    drop_event_staff_table(op, migration_schema())

"""event_staff: each event's staff as event-svc announces it (organiser scope)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema
from crowdify.event_staff import create_event_staff_table, drop_event_staff_table

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_event_staff_table(op, migration_schema())


def downgrade() -> None:
    drop_event_staff_table(op, migration_schema())

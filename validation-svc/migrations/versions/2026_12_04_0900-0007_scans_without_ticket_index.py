"""scans: no index on ticket_id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:00:00+00:00

Nothing reads a ticket's scans through ``ix_scans_ticket_id``: a repeat is found by its primary
key (scanner, scan_id), a device's last scan by the key's first column, and attendance is counted
by admin-svc from the admissions announced to it. Yet every scan inserted an entry into it, at a
random place (ticket ids are random), so at a door rush each scan dirtied one more page of an
index that does not fit in a few pages, and the first change to each such page after a
checkpoint wrote the whole page (8 KB) to the WAL, which each scan's commit waits to flush
(docs/performance.md, "Then fewer bytes per scan"). The index on event_id stays: its entries
arrive in the table's order, it is small, and removing an event's scans uses it.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_scans_ticket_id", table_name="scans", schema=migration_schema())


def downgrade() -> None:
    op.create_index("ix_scans_ticket_id", "scans", ["ticket_id"], schema=migration_schema())

"""Live holds capped per buyer: holds.buyer_id, events.max_held_per_buyer

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:30:00+00:00
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
    schema = migration_schema()
    op.add_column("events", sa.Column("max_held_per_buyer", sa.Integer(), nullable=True), schema=schema)
    op.create_check_constraint(
        "ck_events_max_held_positive",
        "events",
        "max_held_per_buyer is null or max_held_per_buyer > 0",
        schema=schema,
    )
    # Holds taken before this revision have no buyer: they count for nobody and expire as usual.
    op.add_column("holds", sa.Column("buyer_id", sa.String(64), nullable=True), schema=schema)
    op.create_index(
        "ix_holds_live_by_buyer",
        "holds",
        ["event_id", "buyer_id"],
        schema=schema,
        postgresql_where=sa.text("status = 'held'"),
    )


def downgrade() -> None:
    schema = migration_schema()
    op.drop_index("ix_holds_live_by_buyer", table_name="holds", schema=schema)
    op.drop_column("holds", "buyer_id", schema=schema)
    op.drop_constraint("ck_events_max_held_positive", "events", schema=schema)
    op.drop_column("events", "max_held_per_buyer", schema=schema)

"""Catalogue and inventory: events, ticket types, holds, refunds applied; outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from crowdify.db.migration_schema import migration_schema
from crowdify.messaging.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]


def upgrade() -> None:
    schema = migration_schema()
    op.create_table(
        "events",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("venue", sa.String(200)),
        sa.Column("city", sa.String(120)),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="America/Santiago"),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("sales_start", sa.DateTime(timezone=True)),
        sa.Column("sales_end", sa.DateTime(timezone=True)),
        sa.Column("hold_minutes", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("capacity", sa.Integer()),
        sa.Column("reentry_allowed", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("sold", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("held", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_by", sa.String(64), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("status in ('draft', 'published', 'cancelled')", name="ck_events_status"),
        sa.CheckConstraint("sold >= 0 and held >= 0", name="ck_events_counters_non_negative"),
        sa.CheckConstraint("capacity is null or sold + held <= capacity", name="ck_events_within_capacity"),
        schema=schema,
    )
    op.create_index("ix_events_status_starts_at", "events", ["status", "starts_at"], schema=schema)
    op.create_table(
        "ticket_types",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), sa.ForeignKey(f"{schema}.events.id"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text()),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False, server_default="CLP"),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("max_per_order", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("sales_start", sa.DateTime(timezone=True)),
        sa.Column("sales_end", sa.DateTime(timezone=True)),
        sa.Column("requires_child_details", sa.Boolean(), nullable=False, server_default="false"),
        sa.Column("sold", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("held", sa.Integer(), nullable=False, server_default="0"),
        *_timestamps(),
        sa.CheckConstraint("price >= 0", name="ck_ticket_types_price_non_negative"),
        sa.CheckConstraint("capacity >= 0", name="ck_ticket_types_capacity_non_negative"),
        sa.CheckConstraint("sold >= 0 and held >= 0", name="ck_ticket_types_counters_non_negative"),
        sa.CheckConstraint("sold + held <= capacity", name="ck_ticket_types_within_capacity"),
        schema=schema,
    )
    op.create_index("ix_ticket_types_event_id", "ticket_types", ["event_id"], schema=schema)
    op.create_table(
        "holds",
        sa.Column("order_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), sa.ForeignKey(f"{schema}.events.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.CheckConstraint(
            "status in ('held', 'sold', 'expired', 'released', 'rejected')", name="ck_holds_status"
        ),
        schema=schema,
    )
    op.create_index("ix_holds_event_id", "holds", ["event_id"], schema=schema)
    # The sweeper looks only for live holds by expiry.
    op.create_index(
        "ix_holds_live_expiry",
        "holds",
        ["hold_expires_at"],
        schema=schema,
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_table(
        "hold_lines",
        sa.Column("order_id", UUID(as_uuid=True), sa.ForeignKey(f"{schema}.holds.order_id"), primary_key=True),
        sa.Column(
            "ticket_type_id", UUID(as_uuid=True), sa.ForeignKey(f"{schema}.ticket_types.id"), primary_key=True
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Integer(), nullable=False),
        sa.Column("refunded", sa.Integer(), nullable=False, server_default="0"),
        sa.CheckConstraint(
            "quantity > 0 and refunded >= 0 and refunded <= quantity", name="ck_hold_lines_quantities"
        ),
        schema=schema,
    )
    op.create_index("ix_hold_lines_ticket_type_id", "hold_lines", ["ticket_type_id"], schema=schema)
    op.create_table(
        "applied_refunds",
        sa.Column("order_id", UUID(as_uuid=True), sa.ForeignKey(f"{schema}.holds.order_id"), primary_key=True),
        sa.Column("refund_id", sa.String(64), primary_key=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        schema=schema,
    )
    create_messaging_tables_v1(op, schema)


def downgrade() -> None:
    schema = migration_schema()
    drop_messaging_tables_v1(op, schema)
    for table in ("applied_refunds", "hold_lines", "holds", "ticket_types", "events"):
        op.drop_table(table, schema=schema)

"""event-svc tables, all in the ``event`` schema.

Counters (``sold``, ``held``) live on the rows they limit, so a reservation is a conditional
UPDATE on those rows: the row lock the UPDATE takes is the only lock, held for one short
transaction, and PostgreSQL re-checks the condition after waiting for it (no oversell, no
distributed lock).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from crowdify.db import schema_metadata
from crowdify.event_staff import event_staff_table
from crowdify.messaging.tables import messaging_tables
from event_svc.settings import SCHEMA

metadata = schema_metadata(SCHEMA)

# What a ticket type sells in when it names no currency.
DEFAULT_CURRENCY = "CLP"

events = Table(
    "events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text),
    Column("venue", String(200)),
    Column("city", String(120)),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True)),
    Column("timezone", String(64), nullable=False, server_default="America/Santiago"),
    Column("status", String(16), nullable=False, server_default="draft"),
    Column("sales_start", DateTime(timezone=True)),
    Column("sales_end", DateTime(timezone=True)),
    Column("hold_minutes", Integer, nullable=False, server_default="10"),
    Column("capacity", Integer),
    Column("reentry_allowed", Boolean, nullable=False, server_default="false"),
    # Tickets one buyer may hold unpaid at once; null: the largest max_per_order of its types.
    Column("max_held_per_buyer", Integer),
    # What the organiser told the buyers when cancelling (shown on the event's page).
    Column("cancellation_reason", Text),
    Column("sold", Integer, nullable=False, server_default="0"),
    Column("held", Integer, nullable=False, server_default="0"),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status in ('draft', 'published', 'cancelled')", name="status"),
    CheckConstraint("sold >= 0 and held >= 0", name="counters_non_negative"),
    CheckConstraint("capacity is null or sold + held <= capacity", name="within_capacity"),
    CheckConstraint("max_held_per_buyer is null or max_held_per_buyer > 0", name="max_held_positive"),
    # The public listing: published events by date.
    Index("ix_events_status_starts_at", "status", "starts_at"),
)

ticket_types = Table(
    "ticket_types",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), ForeignKey(events.c.id), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("description", Text),
    Column("price", Integer, nullable=False),
    Column("currency", String(3), nullable=False, server_default=DEFAULT_CURRENCY),
    Column("capacity", Integer, nullable=False),
    Column("max_per_order", Integer, nullable=False, server_default="10"),
    Column("sales_start", DateTime(timezone=True)),
    Column("sales_end", DateTime(timezone=True)),
    Column("requires_child_details", Boolean, nullable=False, server_default="false"),
    Column("sold", Integer, nullable=False, server_default="0"),
    Column("held", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("price >= 0", name="price_non_negative"),
    CheckConstraint("capacity >= 0", name="capacity_non_negative"),
    CheckConstraint("sold >= 0 and held >= 0", name="counters_non_negative"),
    # The last fence against oversell: even a buggy UPDATE cannot commit past capacity.
    CheckConstraint("sold + held <= capacity", name="within_capacity"),
)

# One row per order that event-svc has decided on. ``status`` moves
# held -> sold | expired | released, and rejected is final.
holds = Table(
    "holds",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), ForeignKey(events.c.id), nullable=False, index=True),
    # The buyer's verified identity (the token's sub): live holds are capped per buyer and event.
    Column("buyer_id", String(64)),
    Column("status", String(16), nullable=False),
    Column("reason", String(32)),
    Column("hold_expires_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status in ('held', 'sold', 'expired', 'released', 'rejected')", name="status"),
    Index("ix_holds_live_by_buyer", "event_id", "buyer_id", postgresql_where=text("status = 'held'")),
    # The sweeper looks only for live holds by expiry.
    Index("ix_holds_live_expiry", "hold_expires_at", postgresql_where=text("status = 'held'")),
)

hold_lines = Table(
    "hold_lines",
    metadata,
    Column("order_id", UUID(as_uuid=True), ForeignKey(holds.c.order_id), primary_key=True),
    Column("ticket_type_id", UUID(as_uuid=True), ForeignKey(ticket_types.c.id), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Integer, nullable=False),
    # Tickets of this line refunded so far: they no longer count as sold.
    Column("refunded", Integer, nullable=False, server_default="0"),
    CheckConstraint("quantity > 0 and refunded >= 0 and refunded <= quantity", name="quantities"),
    Index("ix_hold_lines_ticket_type_id", "ticket_type_id"),
)

# Refunds already applied to the counters, so a refund re-sent under a new message id is still
# applied once.
applied_refunds = Table(
    "applied_refunds",
    metadata,
    Column("order_id", UUID(as_uuid=True), ForeignKey(holds.c.order_id), primary_key=True),
    Column("refund_id", String(64), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

messaging = messaging_tables(metadata)

# Each event's staff (its creator plus the coordinators an admin added): event-svc owns it and
# announces every change as catalog.event_staff.changed.v1, whose revision is this row's.
event_staff = event_staff_table(metadata)

"""admin-svc's tables, all in the ``admin`` schema.

Three groups: the audit log of role changes and invitations; the journal of every message the
reporting consumer took in (the source the read model is rebuilt from); and the read model
itself, one table per fact so that each message writes only its own columns and the order in
which messages arrive does not matter (docs/adr/0013-admin-read-model-and-organiser-scope.md).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from admin_svc.settings import SCHEMA
from crowdify.event_staff import event_staff_table
from crowdify.messaging.tables import messaging_tables

metadata = MetaData(
    schema=SCHEMA,
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "pk": "pk_%(table_name)s",
    },
)
messaging = messaging_tables(metadata)

# Who changed whose role (or invited whom), from what to what, and when. Emails are kept so the log
# still reads after an account is deleted; they never go to the logs.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("action", String(16), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_email", String(320), nullable=True),
    Column("target_user_id", String(64), nullable=False),
    Column("target_email", String(320), nullable=True),
    Column("from_role", String(16), nullable=True),
    Column("to_role", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    CheckConstraint("action IN ('role_changed', 'invited')", name="action"),
)
Index("ix_audit_log_at", audit_log.c.at.desc())
Index("ix_audit_log_target", audit_log.c.target_user_id, audit_log.c.at.desc())

# Every message the reporting consumer handled, once (its envelope id): replaying it rebuilds the
# read model from scratch (python -m admin_svc.rebuild).
journal = Table(
    "journal",
    metadata,
    Column("message_id", Uuid(), primary_key=True),
    Column("routing_key", Text(), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("payload", JSONB(), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)
Index("ix_journal_occurred", journal.c.occurred_at, journal.c.message_id)

# --- the read model ---------------------------------------------------------------------------

events = Table(
    "events",
    metadata,
    Column("event_id", Uuid(), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("venue", String(300), nullable=True),
    Column("city", String(120), nullable=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),
    Column("sales_start", DateTime(timezone=True), nullable=True),
    Column("sales_end", DateTime(timezone=True), nullable=True),
    Column("capacity", Integer(), nullable=True),
    # occurred_at of the snapshot applied: an older snapshot arriving late never overwrites it.
    Column("as_of", DateTime(timezone=True), nullable=False),
)

ticket_types = Table(
    "ticket_types",
    metadata,
    Column("ticket_type_id", Uuid(), primary_key=True),
    Column("event_id", Uuid(), nullable=False),
    Column("name", String(200), nullable=False),
    Column("price", Integer(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("capacity", Integer(), nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
)
Index("ix_ticket_types_event", ticket_types.c.event_id)

# The staff of each event as event-svc last announced it (highest revision wins).
event_staff = event_staff_table(metadata)

# One row per order; each message fills in its own columns, so any arrival order ends the same.
orders = Table(
    "orders",
    metadata,
    Column("order_id", Uuid(), primary_key=True),
    Column("event_id", Uuid(), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("buyer_email", String(320), nullable=True),
    Column("buyer_name", String(200), nullable=True),
    Column("placed_at", DateTime(timezone=True), nullable=True),
    Column("held_at", DateTime(timezone=True), nullable=True),
    Column("hold_expires_at", DateTime(timezone=True), nullable=True),
    Column("total", BigInteger(), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("paid_at", DateTime(timezone=True), nullable=True),
    Column("paid_total", BigInteger(), nullable=True),
    Column("payment_id", String(64), nullable=True),
    Column("rejected_at", DateTime(timezone=True), nullable=True),
    Column("rejection_reason", String(32), nullable=True),
    Column("expired_at", DateTime(timezone=True), nullable=True),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
    Column("issued_at", DateTime(timezone=True), nullable=True),
)
Index("ix_orders_event_placed", orders.c.event_id, orders.c.placed_at)
Index("ix_orders_paid", orders.c.paid_at)

order_lines = Table(
    "order_lines",
    metadata,
    Column("order_id", Uuid(), primary_key=True),
    Column("ticket_type_id", Uuid(), primary_key=True),
    Column("quantity", Integer(), nullable=False),
    Column("unit_price", BigInteger(), nullable=True),
    Column("ticket_type_name", String(200), nullable=True),
)

refunds = Table(
    "refunds",
    metadata,
    Column("refund_id", String(64), primary_key=True),
    Column("order_id", Uuid(), nullable=False),
    Column("event_id", Uuid(), nullable=False),
    Column("amount", BigInteger(), nullable=True),
    Column("currency", String(3), nullable=True),
    Column("cause", String(32), nullable=True),
    Column("full_refund", Boolean(), nullable=False),
    Column("lines", JSONB(), nullable=False),
    Column("ticket_ids", ARRAY(Uuid()), nullable=False, server_default=text("'{}'")),
    Column("refunded_at", DateTime(timezone=True), nullable=False),
)
Index("ix_refunds_event", refunds.c.event_id)
Index("ix_refunds_order", refunds.c.order_id)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", Uuid(), primary_key=True),
    Column("order_id", Uuid(), nullable=False),
    Column("event_id", Uuid(), nullable=False),
    Column("ticket_type_id", Uuid(), nullable=False),
    Column("ticket_type_name", String(200), nullable=True),
    Column("holder_name", String(200), nullable=False),
    Column("child_nombre", String(200), nullable=True),
    Column("child_rut", String(16), nullable=True),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
Index("ix_tickets_event", tickets.c.event_id, tickets.c.ticket_id)

# The first admission of each ticket (validation-svc announces it once).
admissions = Table(
    "admissions",
    metadata,
    Column("ticket_id", Uuid(), primary_key=True),
    Column("event_id", Uuid(), nullable=False),
    Column("gate", String(64), nullable=True),
    Column("admitted_at", DateTime(timezone=True), nullable=False),
)
Index("ix_admissions_event", admissions.c.event_id, admissions.c.admitted_at)

# Tables the read model is made of: emptied and refilled by a rebuild.
READ_MODEL_TABLES = (events, ticket_types, event_staff, orders, order_lines, refunds, tickets, admissions)

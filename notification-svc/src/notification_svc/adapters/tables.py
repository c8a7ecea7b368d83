"""notification-svc tables, all in the ``notification`` schema.

``emails`` is the idempotency record: one row per (order, kind, reference), inserted in the
transaction of the message that asks for it, so however often that message (or another one
asking for the same email) is delivered, there is one row and so one email. The sender loop claims
due rows, sends them and records the outcome on the row.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from crowdify.db import schema_metadata
from crowdify.messaging.tables import messaging_tables
from notification_svc.settings import SCHEMA

metadata = schema_metadata(SCHEMA)

# withdrawn: a tickets email not yet sent when every ticket of its order was refunded.
EMAIL_STATUSES = ("pending", "sent", "failed", "withdrawn")

emails = Table(
    "emails",
    metadata,
    # uuid5 of (order, kind, reference): the same email always has the same id and Message-ID.
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), nullable=False),
    Column("kind", String(32), nullable=False),
    # Tells apart several emails of one kind for an order: a refund's id, a resend's id; '' else.
    Column("reference", String(64), nullable=False, server_default=""),
    Column("recipient", String(320), nullable=False),
    Column("user_id", String(64)),
    # What the template needs, captured from the messages (rendered when the email is sent).
    Column("context", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # A sender's claim: until then no other sender takes the row (a crashed sender's lapses).
    Column("locked_until", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("provider", String(16)),
    Column("provider_message_id", String(200)),
    # How a tickets email carried its documents: 'attached' (the PDF) or 'link' (it was late).
    Column("documents", String(8)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("order_id", "kind", "reference", name="order_kind_reference"),
    CheckConstraint(f"status IN ({', '.join(repr(s) for s in EMAIL_STATUSES)})", name="status"),
    Index("ix_emails_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
)

# What the emails of an order need beyond one message: the tickets (for a resend), the buyer,
# and the amount paid (purchase.order.paid.v1 may arrive before or after the tickets).
orders = Table(
    "orders",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True)),
    Column("user_id", String(64)),
    Column("buyer_email", String(320)),
    Column("tickets_context", JSONB),
    Column("total", Integer),
    Column("currency", String(3)),
    # Set when every ticket was revoked (a full refund, the event cancelled): nothing to resend.
    Column("tickets_revoked_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The rendered PDF of each order (pdf.tickets.rendered.v1): read by key when the email is sent.
documents = Table(
    "documents",
    metadata,
    Column("order_id", UUID(as_uuid=True), primary_key=True),
    Column("bucket", String(63), nullable=False),
    Column("key", String(1024), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("rendered_at", DateTime(timezone=True), nullable=False),
)

# Events cancelled by their organiser, with the reason they gave (catalog.event.cancelled.v1),
# quoted in the cancellation emails.
cancelled_events = Table(
    "cancelled_events",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(300)),
    Column("reason", Text),
    Column("cancelled_at", DateTime(timezone=True), nullable=False),
)

messaging = messaging_tables(metadata)

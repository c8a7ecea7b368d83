"""purchase-svc tables, all in the ``purchase`` schema.

Personal data (buyer name and email, attendee names, child RUT and birth date) lives only in
``orders`` and ``attendees``: it is needed to email and print tickets, and nowhere else.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from crowdify.db import schema_metadata
from crowdify.event_staff import event_staff_table
from crowdify.messaging.tables import messaging_tables
from purchase_svc.domain.order import OrderStatus
from purchase_svc.settings import SCHEMA

metadata = schema_metadata(SCHEMA)

_STATUSES = ", ".join(f"'{s.value}'" for s in OrderStatus)

# What purchase-svc knows of the catalogue, kept from catalog.event.* messages: enough to
# validate an order (types, limits, child details) without calling event-svc.
catalog_events = Table(
    "catalog_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("snapshot", JSONB, nullable=False),
    # occurred_at of the message that wrote the snapshot: an older one never overwrites it.
    Column("as_of", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("user_id", String(64), nullable=False, index=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("status", String(24), nullable=False, server_default="pending"),
    Column("reason", String(40)),
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_email", String(320), nullable=False),
    Column("total", Integer),
    Column("currency", String(3), nullable=False, server_default="CLP"),
    Column("hold_expires_at", DateTime(timezone=True)),
    Column("payment_link", Text),
    Column("preference_id", String(128)),
    # How a payment that arrived after the hold expired was settled: accepted | refunded.
    Column("late_payment", String(16)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("paid_at", DateTime(timezone=True)),
    CheckConstraint(f"status in ({_STATUSES})", name="status"),
    CheckConstraint("total is null or total >= 0", name="total_non_negative"),
)

order_items = Table(
    "order_items",
    metadata,
    Column("order_id", UUID(as_uuid=True), ForeignKey(orders.c.id), primary_key=True),
    Column("ticket_type_id", UUID(as_uuid=True), primary_key=True),
    Column("ticket_type_name", String(120)),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Integer),  # set from catalog.tickets.reserved, the authoritative price
    CheckConstraint("quantity > 0", name="quantity_positive"),
)

attendees = Table(
    "attendees",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("ticket_type_id", UUID(as_uuid=True), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("child_nombre", String(200)),
    Column("child_rut", String(12)),  # canonical NNNNNNNN-D
    Column("child_fecha_nacimiento", Date),
    UniqueConstraint("order_id", "ticket_type_id", "position"),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("ticket_type_id", UUID(as_uuid=True), nullable=False),
    Column("attendee_id", UUID(as_uuid=True), ForeignKey(attendees.c.id)),
    Column("holder_name", String(200), nullable=False),
    Column("status", String(16), nullable=False, server_default="valid"),
    Column("qr_payload", Text, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
    CheckConstraint("status in ('valid', 'revoked')", name="status"),
)

# Every notification Mercado Pago sent, as received (signature verdict included), before any
# processing: the audit trail and the input of the payment sync.
payment_notifications = Table(
    "payment_notifications",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("topic", String(64)),
    Column("resource_id", String(64)),
    Column("request_id", String(128)),
    Column("signature_valid", Boolean, nullable=False),
    Column("query", JSONB, nullable=False),
    Column("body", JSONB),
    Column("processed_at", DateTime(timezone=True)),
)

# The latest state of each Mercado Pago payment, as fetched from its API (never from a
# notification body).
payments = Table(
    "payments",
    metadata,
    Column("id", String(64), primary_key=True),  # Mercado Pago's payment id
    Column("order_id", UUID(as_uuid=True), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("status_detail", String(64)),
    Column("amount", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("refunded_amount", Integer, nullable=False, server_default="0"),
    Column("date_last_updated", DateTime(timezone=True)),
    Column("fetched_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # Set when the payment does not match its order (amount, currency): recorded, never applied.
    Column("refused_reason", String(40)),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("payment_id", String(64)),
    # Sent as X-Idempotency-Key: a retried refund is the same refund at Mercado Pago.
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("provider_refund_id", String(64)),
    Column("amount", Integer, nullable=False),
    Column("ticket_ids", JSONB, nullable=False, server_default="[]"),
    Column("reason", String(200)),
    # What the announcement says (OrderRefundedV1's cause and reason), kept from the request so
    # an interrupted refund is completed later with the same words. Null on external refunds.
    Column("cause", String(32)),
    Column("notice_reason", String(200)),
    # requested -> completed | failed; "external" for refunds Mercado Pago reported on its own.
    Column("status", String(16), nullable=False, server_default="requested"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True)),
    CheckConstraint("amount >= 0", name="amount_non_negative"),
)

messaging = messaging_tables(metadata)

# Each event's staff as event-svc announces it (catalog.event_staff.changed.v1): whose sales
# figures a coordinator may read.
event_staff = event_staff_table(metadata)

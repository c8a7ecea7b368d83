"""pdf-svc tables, all in the ``pdf`` schema.

``orders`` and ``tickets`` keep pdf-svc's own copy of what a rendering needs (taken from
``purchase.tickets.issued.v1``), so an order can be rendered again without asking anyone, and
where its documents are: the current revision's object keys, digests and sizes. ``events`` is the
newest snapshot of each event from ``catalog.event.*`` (timezone, venue, date, cancelled).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID

from crowdify.db import schema_metadata
from crowdify.messaging.tables import messaging_tables
from pdf_svc.settings import SCHEMA

metadata = schema_metadata(SCHEMA)

events = Table(
    "events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("venue", Text),
    Column("city", Text),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("status", String(16), nullable=False),
    # occurred_at of the message that wrote the snapshot: an older one never overwrites it.
    Column("as_of", DateTime(timezone=True), nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    # Who may download the documents (the buyer's JWT ``sub``); NULL: admins only.
    Column("user_id", Text, index=True),
    # What purchase-svc said about the event when it issued the tickets; the event snapshot,
    # when pdf-svc has one, wins (it is newer).
    Column("event_name", Text),
    Column("venue", Text),
    Column("event_starts_at", DateTime(timezone=True)),
    # Digest of the rendering input taken from the issued message: the same message again
    # (a redelivery with another id) changes nothing.
    Column("input_sha256", String(64), nullable=False),
    # Bumped by every rendering; part of the object keys, so a key always names the same bytes.
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("document_key", Text),
    Column("document_sha256", String(64)),
    Column("document_size", BigInteger),
    Column("document_pages", Integer),
    Column("rendered_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", UUID(as_uuid=True), ForeignKey(orders.c.id), nullable=False, index=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    # Place in the order as issued: page order of the order document.
    Column("position", Integer, nullable=False),
    Column("ticket_type", Text),
    Column("holder_name", Text, nullable=False),
    Column("child_nombre", Text),
    Column("qr_payload", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="valid"),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", String(40)),
    Column("document_key", Text),
    Column("document_sha256", String(64)),
    Column("document_size", BigInteger),
    Column("document_pages", Integer),
    CheckConstraint("status IN ('valid', 'revoked')", name="status"),
)

# Refunds that arrived before the tickets they revoke (retry tiers reorder messages, and a late
# payment can be refunded before anything was issued): applied when the tickets arrive.
# ``ticket_id`` NULL: every ticket of the order.
early_revocations = Table(
    "early_revocations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("ticket_id", UUID(as_uuid=True)),
    Column("reason", String(40), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
)

messaging = messaging_tables(metadata)

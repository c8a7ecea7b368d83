"""validation-svc tables, all in the ``validation`` schema.

``tickets`` is the registry the door checks: one row per issued ticket, fed only by messages
(tickets issued, orders refunded, events cancelled) and changed by scans. ``changed_xid`` is the
id of the last transaction of the registry that wrote the row, ``scans.xid`` that of each scan;
the manifest's cursor is the oldest transaction still running when it was built, so ``?since=``
never misses a change committed late.
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
    LargeBinary,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from crowdify.db import schema_metadata
from crowdify.event_staff import event_staff_table
from crowdify.messaging.tables import messaging_tables
from validation_svc.settings import SCHEMA

metadata = schema_metadata(SCHEMA)

CURRENT_XID = text("(pg_current_xact_id()::text::bigint)")

# What validation-svc knows of each event, from catalog.event.* messages.
events = Table(
    "events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("reentry_allowed", Boolean, nullable=False, server_default="false"),
    Column("snapshot", JSONB, nullable=False),
    # occurred_at of the message that wrote the snapshot: an older one never overwrites it.
    Column("as_of", DateTime(timezone=True), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("order_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("ticket_type_id", UUID(as_uuid=True), nullable=False),
    Column("ticket_type", String(200)),
    Column("holder_name", String(200), nullable=False),
    Column("child_nombre", String(200)),
    # A code with a lower serial than this was superseded by a re-issue and is refused.
    Column("serial", Integer, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False, server_default="valid"),
    Column("inside", Boolean, nullable=False, server_default="false"),
    Column("first_entry_at", DateTime(timezone=True)),
    Column("first_entry_gate", String(64)),
    Column("entries", Integer, nullable=False, server_default="0"),
    Column("last_scan_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoked_reason", String(40)),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    # Written by the registry (issue, re-issue, revoke), not by scans: an admission changes no
    # indexed column, so PostgreSQL writes it next to the old version without touching the indexes
    # (a heap-only update; fillfactor leaves the room). The manifest finds scanned tickets through
    # ``scans.xid`` (migration 0008).
    Column("changed_xid", BigInteger, nullable=False, server_default=CURRENT_XID),
    # BLAKE2b-128 of the ticket's current code (crowdify.tickets.code_digest), set when the code
    # verified on registration: a scanned code with this digest is that code, and the door skips
    # its signature check (migration 0010). NULL: the door checks the signature.
    Column("code_digest", LargeBinary),
    CheckConstraint("status IN ('valid', 'revoked')", name="status"),
    Index("ix_tickets_event_changed", "event_id", "changed_xid"),
    postgresql_with={"fillfactor": "85"},
)

# First entries not announced yet (validation.tickets.admitted.v1): queued by the transaction
# that admits a ticket (or whose offline scan takes its first entry over), taken off by the
# worker's announcer in the transaction that adds the announcement to the outbox.
admissions_due = Table(
    "admissions_due",
    metadata,
    Column("ticket_id", UUID(as_uuid=True), primary_key=True),
)

# Revocations that arrived before the tickets they revoke (messages can be reordered by retries):
# applied when the tickets are registered. ``ticket_id`` NULL: every ticket of the order.
early_revocations = Table(
    "early_revocations",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("order_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("ticket_id", UUID(as_uuid=True)),
    Column("reason", String(40), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=False),
)

# Every scan that reached the database: the answer a retried scan_id gets again, and the log
# attendance is counted from. A scan_id belongs to its caller (``scanner``: the token's subject, a
# door device or a person): another caller's scan_id is a new scan, never its stored answer.
# Written by the functions door_scan and door_sync (migration 0002).
scans = Table(
    "scans",
    metadata,
    Column("scanner", String(64), primary_key=True),
    Column("scan_id", String(64), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("ticket_id", UUID(as_uuid=True)),  # not indexed: nothing reads by it (migration 0007)
    Column("gate", String(64)),
    Column("device_id", String(64)),
    Column("direction", String(3), nullable=False),
    Column("result", String(16)),
    Column("response", JSONB),
    Column("scanned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The transaction that wrote the scan (and admitted the ticket): the manifest's ``?since=``
    # finds the tickets scanned after its cursor here. NULL on scans from before migration 0008.
    Column("xid", BigInteger, server_default=CURRENT_XID),
    Index("ix_scans_event_xid", "event_id", "xid"),
)

# Door devices with a backend-issued scanner token scoped to one event; a revoked device's token
# is refused even before it expires.
devices = Table(
    "devices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

messaging = messaging_tables(metadata)

# Each event's staff as event-svc announces it (catalog.event_staff.changed.v1): which events a
# coordinator may read the figures of and register devices for.
event_staff = event_staff_table(metadata)

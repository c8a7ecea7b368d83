"""The outbox and inbox tables, created in the owning service's schema.

The column lists are built by functions so that the SQLAlchemy tables (used at run time) and the
Alembic migrations (:mod:`crowdify.messaging.migrations`) come from one definition and cannot drift.

Version 1 is frozen: every service's first migration creates these columns by calling
``create_messaging_tables_v1``, and a migration that has run must never change meaning. A change
to the tables is a ``*_v2`` set of columns, ``messaging_tables`` moved to it, and a new revision
in every service that alters v1 into v2 (libs/tests/messaging/test_migrations.py pins v1's DDL).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

OUTBOX_TABLE = "outbox"
INBOX_TABLE = "inbox"
# The relay only ever looks for unpublished rows; published ones pile up until cleaned, so the
# index covers just the rows still to send and stays small however big the table grows.
OUTBOX_UNPUBLISHED_INDEX = "ix_outbox_unpublished"


def outbox_columns_v1() -> list[Column[object] | PrimaryKeyConstraint]:
    return [
        # The envelope id: also the AMQP message_id and the consumers' inbox key.
        Column("id", Uuid(), nullable=False),
        Column("routing_key", Text(), nullable=False),
        Column("envelope", JSONB(), nullable=False),
        Column("headers", JSONB(), nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer(), nullable=False, server_default=text("0")),
        Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        Column("last_error", Text(), nullable=True),
        PrimaryKeyConstraint("id", name="pk_outbox"),
    ]


def inbox_columns_v1() -> list[Column[object] | PrimaryKeyConstraint]:
    return [
        # One row per (consumer queue, message): the same message reaching two consumers of one
        # service is two rows, a redelivery to one consumer hits the primary key.
        Column("consumer", Text(), nullable=False),
        Column("message_id", Text(), nullable=False),
        Column("message_type", Text(), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
        PrimaryKeyConstraint("consumer", "message_id", name="pk_inbox"),
    ]


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    """Add the outbox and inbox to ``metadata`` (so they live in ``metadata.schema``)."""
    outbox = Table(OUTBOX_TABLE, metadata, *outbox_columns_v1())
    Index(
        OUTBOX_UNPUBLISHED_INDEX,
        outbox.c.next_attempt_at,
        outbox.c.created_at,
        postgresql_where=outbox.c.published_at.is_(None),
    )
    inbox = Table(INBOX_TABLE, metadata, *inbox_columns_v1())
    return MessagingTables(outbox=outbox, inbox=inbox)

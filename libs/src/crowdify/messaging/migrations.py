"""Alembic operations for a service's first revision::

    from alembic import op
    from crowdify.messaging.migrations import create_messaging_tables_v1, drop_messaging_tables_v1

    def upgrade() -> None:
        create_messaging_tables_v1(op, "event")

    def downgrade() -> None:
        drop_messaging_tables_v1(op, "event")

The columns come from :mod:`crowdify.messaging.tables`, so autogenerate finds nothing to change
once this revision has run. The operations are versioned and v1 is frozen (see that module): a
later change to the tables comes with ``*_v2`` operations and new revisions, never by editing
what the services' first revisions call.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import text

from crowdify.messaging.tables import (
    INBOX_TABLE,
    OUTBOX_TABLE,
    OUTBOX_UNPUBLISHED_INDEX,
    inbox_columns_v1,
    outbox_columns_v1,
)


class MigrationOperations(Protocol):
    """The part of ``alembic.op`` (or ``alembic.operations.Operations``) used here."""

    def create_table(self, table_name: str, *columns: Any, **kw: Any) -> Any: ...
    def drop_table(self, table_name: str, **kw: Any) -> None: ...
    def create_index(self, index_name: str | None, table_name: str, columns: Any, **kw: Any) -> None: ...
    def drop_index(self, index_name: str, table_name: str | None = None, **kw: Any) -> None: ...


def create_messaging_tables_v1(op: MigrationOperations, schema: str) -> None:
    op.create_table(OUTBOX_TABLE, *outbox_columns_v1(), schema=schema)
    op.create_index(
        OUTBOX_UNPUBLISHED_INDEX,
        OUTBOX_TABLE,
        ["next_attempt_at", "created_at"],
        schema=schema,
        postgresql_where=text("published_at IS NULL"),
    )
    op.create_table(INBOX_TABLE, *inbox_columns_v1(), schema=schema)


def drop_messaging_tables_v1(op: MigrationOperations, schema: str) -> None:
    op.drop_table(INBOX_TABLE, schema=schema)
    op.drop_index(OUTBOX_UNPUBLISHED_INDEX, table_name=OUTBOX_TABLE, schema=schema)
    op.drop_table(OUTBOX_TABLE, schema=schema)

"""door_sync: an earlier offline first entry locks the ticket's row in admissions_due

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 11:00:00+00:00

When an offline scan synced later takes a ticket's first entry over, ``door_sync`` (0008) queued
the ticket with ``ON CONFLICT DO NOTHING``. If the ticket was still queued from its online entry,
that took no lock on the queue's row: the worker's announcer could claim the row (``SKIP LOCKED``
skips only locked rows), read the ticket with a snapshot that did not yet see the sync's
uncommitted change, announce the later entry and delete the row; the sync then committed with
nothing left in the queue, and the earlier first entry was never announced. ``ON CONFLICT DO
UPDATE`` locks the existing row until the sync commits, so the announcer skips it and announces
the earlier entry on a later pass. (``door_scan`` only queues a ticket's very first entry, which
finds no row to conflict with.)

The function is 0008's with that one clause changed, read from 0008's module.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED_UNLOCKED = "INSERT INTO {s}.admissions_due (ticket_id) VALUES (t.id) ON CONFLICT DO NOTHING;"
QUEUED_LOCKED = (
    "INSERT INTO {s}.admissions_due (ticket_id) VALUES (t.id)\n"
    "                ON CONFLICT (ticket_id) DO UPDATE SET ticket_id = excluded.ticket_id;"
)


def _sync_of_0008() -> str:
    script = op.get_context().script
    assert script is not None, "validation-svc migrations run through alembic's command line"
    sync: str = script.get_revision("0008").module.SYNC
    assert sync.count(QUEUED_UNLOCKED) == 1, "0008's door_sync queues a first entry once"
    return sync


def upgrade() -> None:
    op.execute(_sync_of_0008().replace(QUEUED_UNLOCKED, QUEUED_LOCKED).format(s=migration_schema()))


def downgrade() -> None:
    op.execute(_sync_of_0008().format(s=migration_schema()))

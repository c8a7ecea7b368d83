"""door_scans waits at most half a second for a lock, then its scans are decided one by one

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00+00:00

An API process decides one batch of online scans at a time (0006). A batch that waits for a lock
held elsewhere (the worker revoking the tickets of a cancelled event, a long offline upload, or
another batch in a rare cycle over retried ``scan_id`` keys) would hold up every online scan of
that process behind it, where a scan alone held up only itself. ``door_scans`` now sets a lock
timeout for its own transaction: past half a second it fails (SQLSTATE 55P03), nothing of the
batch is committed, and the caller decides each of its scans alone, waiting for that lock only
where the scan needs it. ``door_scan`` called alone keeps waiting as before.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCANS = """
CREATE OR REPLACE FUNCTION {s}.door_scans(
    p_scanners text[], p_devices uuid[], p_scan_ids text[], p_event_ids uuid[], p_ticket_ids uuid[],
    p_code_event_ids uuid[], p_serials integer[], p_gates text[], p_device_labels text[],
    p_directions text[]
) RETURNS SETOF text
LANGUAGE plpgsql
AS $$
BEGIN
    -- For the rest of this transaction: the batch's one statement.
    PERFORM set_config('lock_timeout', '500ms', true);
    FOR i IN 1 .. coalesce(array_length(p_scan_ids, 1), 0) LOOP
        IF p_devices[i] IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {s}.devices d WHERE d.id = p_devices[i] AND d.revoked_at IS NULL
        ) THEN
            RETURN NEXT NULL;  -- refused by the caller, alone (door_scan raises CD401 there)
        ELSE
            RETURN NEXT {s}.door_scan(
                p_scanners[i], p_devices[i], p_scan_ids[i], p_event_ids[i], p_ticket_ids[i],
                p_code_event_ids[i], p_serials[i], p_gates[i], p_device_labels[i], p_directions[i]);
        END IF;
    END LOOP;
END;
$$;
"""


def upgrade() -> None:
    op.execute(SCANS.format(s=migration_schema()))


def downgrade() -> None:
    # The function as revision 0006 created it, read from that revision's module.
    script = op.get_context().script
    assert script is not None, "validation-svc migrations run through alembic's command line"
    previous = script.get_revision("0006").module
    op.execute(previous.SCANS.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").format(s=migration_schema()))

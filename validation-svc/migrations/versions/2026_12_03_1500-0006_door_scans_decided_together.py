"""door_scans: the online scans waiting in one API process decided together, in one transaction

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:00:00+00:00

At a door rush each scan was its own round trip and its own commit, and at 500 scans/s or more
each commit flushed the WAL alone: the commit, not the statement, was most of what a scan cost
the database (docs/performance.md). ``door_scans`` takes the scans an API process has waiting
(group commit, ADR 0014) as parallel arrays and decides each with ``door_scan``, in the order
given, in the caller's one transaction: one round trip and one commit for the batch.

Each scan is decided exactly as alone. The batch sees its own writes, so a ticket scanned twice
in one batch is admitted by the first and ``already_used`` for the second, and a ``scan_id``
repeated in one batch reads the answer stored by the first. A revoked device's scan is skipped
(its answer is NULL) and the caller refuses it alone: a stolen phone that goes on scanning must
not undo the batches of every honest device beside it. Any other error (a reused ``scan_id``, a
concurrent repeat written first) undoes the whole batch, and the caller decides its scans one at
a time, where each gets its own answer or error. The caller passes the
scans sorted by ticket (arrival order kept within a ticket), so that two batches lock tickets in
the same order and cannot deadlock on them.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCANS = """
CREATE FUNCTION {s}.door_scans(
    p_scanners text[], p_devices uuid[], p_scan_ids text[], p_event_ids uuid[], p_ticket_ids uuid[],
    p_code_event_ids uuid[], p_serials integer[], p_gates text[], p_device_labels text[],
    p_directions text[]
) RETURNS SETOF text
LANGUAGE plpgsql
AS $$
BEGIN
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
    op.execute(
        f'DROP FUNCTION "{migration_schema()}".door_scans('
        "text[], uuid[], text[], uuid[], uuid[], uuid[], integer[], text[], text[], text[])"
    )

"""door admissions written as heap-only updates: the announcer's queue and the manifest's cursor off the ticket's row

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00+00:00

An admission changed two indexed columns of the ticket's row: ``changed_xid`` (the offline
manifest's cursor, indexed with the event) and ``first_entry_at`` (the key of the announcer's
partial index). So PostgreSQL could not write it as a heap-only update: each admission added an
entry to each of the ticket's four indexes, and the announcer's mark (``announced_entry_at``, in
the partial index's predicate) wrote the row and three index entries once more. After a
checkpoint each of those index pages, at random places, went whole into the WAL that every scan's
commit waits for (ADR 0023).

Now a scan writes only columns that no index holds, and the ticket's table leaves room on each
page (fillfactor 85) for the new version of a row next to the old one:

- The manifest finds the tickets scanned since its cursor in the scans log: ``scans.xid`` is the
  id of the transaction that wrote the scan (the transaction that admitted the ticket), indexed
  with the event. ``changed_xid`` is now written only by the registry (issue, re-issue, revoke).
- First entries to announce are queued in ``admissions_due`` (one row per ticket, in the
  transaction that admits it or that an offline scan's earlier entry takes over); the worker's
  announcer takes a batch off the queue and reads the tickets. ``announced_entry_at`` and the
  partial index are gone: what is due is the queue, and admissions already due move into it here.

Every verdict and answer is unchanged; exactly-once admission is still the conditional update.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCAN = """
CREATE OR REPLACE FUNCTION {s}.door_scan(
    p_scanner text, p_device uuid, p_scan_id text, p_event_id uuid, p_ticket_id uuid,
    p_code_event_id uuid, p_serial integer, p_gate text, p_device_label text, p_direction text
) RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    t {s}.tickets%ROWTYPE;
    v_result text;
    v_message text;
    v_stored record;
    v_answer json;
BEGIN
    PERFORM {s}.door_check_device(p_device);

    SELECT s.event_id, s.ticket_id, s.direction, s.response INTO v_stored
    FROM {s}.scans s WHERE s.scanner = p_scanner AND s.scan_id = p_scan_id;
    IF FOUND THEN
        IF v_stored.event_id <> p_event_id OR v_stored.ticket_id IS DISTINCT FROM p_ticket_id
           OR v_stored.direction <> p_direction THEN
            RAISE EXCEPTION 'scan id reused' USING ERRCODE = 'CD409', DETAIL = p_scan_id;
        END IF;
        -- Only rows from before revision 0002 can lack a stored answer.
        RETURN coalesce(v_stored.response::text, json_build_object(
            'result', 'invalid', 'ticket', NULL, 'first_entry_at', NULL, 'first_entry_gate', NULL,
            'message', 'Scan id reused')::text);
    END IF;

    IF p_code_event_id <> p_event_id THEN
        SELECT * INTO t FROM {s}.tickets WHERE id = p_ticket_id;
        v_result := 'wrong_event';
    ELSIF p_direction = 'out' THEN
        UPDATE {s}.tickets
        SET inside = false, last_scan_at = now()
        WHERE id = p_ticket_id AND event_id = p_event_id AND status = 'valid' AND serial <= p_serial
          AND inside
        RETURNING * INTO t;
        IF FOUND THEN v_result := 'exited'; END IF;
    ELSE
        UPDATE {s}.tickets
        SET inside = true,
            first_entry_at = coalesce(first_entry_at, now()),
            first_entry_gate = CASE WHEN first_entry_at IS NULL THEN p_gate ELSE first_entry_gate END,
            entries = entries + 1,
            last_scan_at = now()
        WHERE id = p_ticket_id AND event_id = p_event_id AND status = 'valid' AND serial <= p_serial
          AND (first_entry_at IS NULL OR (NOT inside AND EXISTS (
                SELECT 1 FROM {s}.events e WHERE e.id = event_id AND e.reentry_allowed)))
        RETURNING * INTO t;
        IF FOUND THEN
            v_result := 'admitted';
            IF t.entries = 1 THEN  -- the ticket's first entry: the worker announces it
                INSERT INTO {s}.admissions_due (ticket_id) VALUES (t.id) ON CONFLICT DO NOTHING;
            END IF;
        END IF;
    END IF;

    IF v_result IS NULL THEN
        -- The update matched nothing: say why.
        SELECT * INTO t FROM {s}.tickets WHERE id = p_ticket_id;
        IF NOT FOUND THEN
            v_result := 'invalid';
            v_message := 'Unknown ticket';
        ELSIF t.event_id <> p_event_id THEN
            v_result := 'wrong_event';
        ELSIF t.status = 'revoked' THEN
            v_result := 'revoked';
        ELSIF t.serial > p_serial THEN
            v_result := 'invalid';
            v_message := 'This code was replaced by a newer one';
        ELSIF p_direction = 'out' THEN
            v_result := 'not_inside';
        ELSE
            v_result := 'already_used';
        END IF;
    END IF;

    v_answer := json_build_object(
        'result', v_result,
        'ticket', CASE WHEN t.id IS NULL THEN NULL ELSE json_build_object(
            'id', t.id,
            'ticket_type', t.ticket_type,
            'ticket_type_id', t.ticket_type_id,
            'holder_name', t.holder_name,
            'child', CASE WHEN coalesce(t.child_nombre, '') = '' THEN NULL
                          ELSE json_build_object('nombre', t.child_nombre) END
        ) END,
        'first_entry_at', {s}.door_time_text(t.first_entry_at),
        'first_entry_gate', t.first_entry_gate,
        'message', coalesce(v_message, CASE v_result
            WHEN 'admitted' THEN 'Admitted'
            WHEN 'already_used' THEN 'Ticket already used'
            WHEN 'invalid' THEN 'Invalid ticket'
            WHEN 'revoked' THEN 'Ticket revoked'
            WHEN 'wrong_event' THEN 'Ticket is for another event'
            WHEN 'exited' THEN 'Exit recorded'
            WHEN 'not_inside' THEN 'Ticket is not inside'
        END)
    );
    INSERT INTO {s}.scans
        (scanner, scan_id, event_id, ticket_id, gate, device_id, direction, scanned_at, result, response)
    VALUES (p_scanner, p_scan_id, p_event_id, p_ticket_id, p_gate, p_device_label, p_direction, now(),
            v_result, v_answer::jsonb)
    ON CONFLICT (scanner, scan_id) DO NOTHING;
    IF NOT FOUND THEN
        -- A concurrent repeat of this scan_id was written first: undo this decision (the whole
        -- statement rolls back) and let the caller run the statement again to read that answer.
        RAISE EXCEPTION 'scan id written concurrently' USING ERRCODE = 'CD40R', DETAIL = p_scan_id;
    END IF;
    RETURN v_answer::text;
END;
$$;
"""

SYNC = """
CREATE OR REPLACE FUNCTION {s}.door_sync(
    p_scanner text, p_device uuid, p_event_id uuid, p_device_label text,
    p_scan_ids text[], p_ticket_ids uuid[], p_code_event_ids uuid[], p_serials integer[],
    p_gates text[], p_directions text[], p_scanned_ats timestamptz[], p_local_results text[]
) RETURNS SETOF text
LANGUAGE plpgsql
AS $$
DECLARE
    t {s}.tickets%ROWTYPE;
    v_reentry boolean;
    v_result text;
    v_stored record;
    v_answer json;
    v_at timestamptz;
    i integer;
BEGIN
    PERFORM {s}.door_check_device(p_device);
    PERFORM 1 FROM {s}.tickets WHERE id = ANY(p_ticket_ids) ORDER BY id FOR UPDATE;
    SELECT e.reentry_allowed INTO v_reentry FROM {s}.events e WHERE e.id = p_event_id;

    FOR i IN 1 .. coalesce(array_length(p_scan_ids, 1), 0) LOOP
        v_at := p_scanned_ats[i];
        SELECT s.event_id, s.ticket_id, s.direction, s.response INTO v_stored
        FROM {s}.scans s WHERE s.scanner = p_scanner AND s.scan_id = p_scan_ids[i];
        IF FOUND THEN
            IF v_stored.event_id <> p_event_id OR v_stored.ticket_id IS DISTINCT FROM p_ticket_ids[i]
               OR v_stored.direction <> p_directions[i] THEN
                RAISE EXCEPTION 'scan id reused' USING ERRCODE = 'CD409', DETAIL = p_scan_ids[i];
            END IF;
            RETURN NEXT v_stored.response::text;
            CONTINUE;
        END IF;

        t := NULL;
        IF p_ticket_ids[i] IS NULL THEN
            v_result := 'invalid';
        ELSE
            SELECT * INTO t FROM {s}.tickets WHERE id = p_ticket_ids[i];
            IF NOT FOUND THEN
                v_result := 'invalid';
            ELSIF t.event_id <> p_event_id OR p_code_event_ids[i] <> p_event_id THEN
                v_result := 'wrong_event';
            ELSIF t.status = 'revoked' THEN
                v_result := 'revoked';
            ELSIF t.serial > p_serials[i] THEN
                v_result := 'invalid';
            ELSIF p_directions[i] = 'out' THEN
                IF t.inside THEN
                    UPDATE {s}.tickets
                    SET inside = false, last_scan_at = greatest(last_scan_at, v_at)
                    WHERE id = t.id RETURNING * INTO t;
                    v_result := 'exited';
                ELSE
                    v_result := 'not_inside';
                END IF;
            ELSIF t.first_entry_at IS NULL OR v_at < t.first_entry_at THEN
                -- The earliest scan wins: this one becomes the first entry.
                UPDATE {s}.tickets
                SET inside = true, entries = entries + 1, first_entry_at = v_at,
                    first_entry_gate = p_gates[i], last_scan_at = greatest(last_scan_at, v_at)
                WHERE id = t.id RETURNING * INTO t;
                v_result := 'admitted';
                INSERT INTO {s}.admissions_due (ticket_id) VALUES (t.id) ON CONFLICT DO NOTHING;
            ELSIF coalesce(v_reentry, false) AND NOT t.inside THEN
                UPDATE {s}.tickets
                SET inside = true, entries = entries + 1, last_scan_at = greatest(last_scan_at, v_at)
                WHERE id = t.id RETURNING * INTO t;
                v_result := 'admitted';
            ELSE
                v_result := 'already_used';
            END IF;
        END IF;

        v_answer := json_build_object(
            'scan_id', p_scan_ids[i],
            'result', v_result,
            'conflict', coalesce(p_local_results[i] = 'admitted', false) AND v_result <> 'admitted',
            'first_entry_at', {s}.door_time_text(t.first_entry_at),
            'first_entry_gate', t.first_entry_gate
        );
        INSERT INTO {s}.scans
            (scanner, scan_id, event_id, ticket_id, gate, device_id, direction, scanned_at, result, response)
        VALUES (p_scanner, p_scan_ids[i], p_event_id, p_ticket_ids[i], p_gates[i], p_device_label,
                p_directions[i], v_at, v_result, v_answer::jsonb)
        ON CONFLICT (scanner, scan_id) DO NOTHING;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'scan id written concurrently' USING ERRCODE = 'CD40R', DETAIL = p_scan_ids[i];
        END IF;
        RETURN NEXT v_answer::text;
    END LOOP;
END;
$$;
"""

# Statements in order; {s} is the schema.
UPGRADE = (
    "ALTER TABLE {s}.scans ADD COLUMN xid bigint",
    "ALTER TABLE {s}.scans ALTER COLUMN xid SET DEFAULT pg_current_xact_id()::text::bigint",
    "CREATE INDEX ix_scans_event_xid ON {s}.scans (event_id, xid)",
    "DROP INDEX {s}.ix_scans_event_id",
    "CREATE TABLE {s}.admissions_due (ticket_id uuid CONSTRAINT pk_admissions_due PRIMARY KEY)",
    "INSERT INTO {s}.admissions_due (ticket_id) SELECT id FROM {s}.tickets"
    " WHERE first_entry_at IS NOT NULL AND announced_entry_at IS DISTINCT FROM first_entry_at",
    "DROP INDEX {s}.ix_tickets_admission_unannounced",
    "ALTER TABLE {s}.tickets DROP COLUMN announced_entry_at",
    "ALTER TABLE {s}.tickets SET (fillfactor = 85)",
    SCAN,
    SYNC,
)

DOWNGRADE = (
    "ALTER TABLE {s}.tickets RESET (fillfactor)",
    "ALTER TABLE {s}.tickets ADD COLUMN announced_entry_at timestamptz",
    "UPDATE {s}.tickets SET announced_entry_at = first_entry_at WHERE first_entry_at IS NOT NULL"
    " AND id NOT IN (SELECT ticket_id FROM {s}.admissions_due)",
    "CREATE INDEX ix_tickets_admission_unannounced ON {s}.tickets (first_entry_at)"
    " WHERE first_entry_at IS NOT NULL AND announced_entry_at IS DISTINCT FROM first_entry_at",
    "DROP TABLE {s}.admissions_due",
    # Tickets scanned since a device's cursor were found through their changed_xid before.
    "UPDATE {s}.tickets t SET changed_xid = s.xid FROM (SELECT ticket_id, max(xid) AS xid"
    " FROM {s}.scans WHERE xid IS NOT NULL GROUP BY ticket_id) s WHERE t.id = s.ticket_id AND s.xid > t.changed_xid",
    "CREATE INDEX ix_scans_event_id ON {s}.scans (event_id)",
    "DROP INDEX {s}.ix_scans_event_xid",
    "ALTER TABLE {s}.scans DROP COLUMN xid",
)


def upgrade() -> None:
    s = migration_schema()
    for statement in UPGRADE:
        op.execute(statement.format(s=s))


def downgrade() -> None:
    s = migration_schema()
    for statement in DOWNGRADE:
        op.execute(statement.format(s=s))
    # The functions as revision 0004 left them, read from that revision's module.
    script = op.get_context().script
    assert script is not None, "validation-svc migrations run through alembic's command line"
    previous = script.get_revision("0004").module
    for function in (previous.SCAN, previous.SYNC):
        op.execute(function.format(s=s))

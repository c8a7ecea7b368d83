"""door scans written once, with their answer

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 14:30:00+00:00

``door_scan`` and ``door_sync`` (0002) claimed a ``scan_id`` by inserting its row first and wrote
the answer into it with an ``UPDATE`` once decided: two writes of the row per scan. Now a
repeat is looked up first (one index probe), the scan is decided, and the row is inserted once
with its answer. Two concurrent repeats of one ``scan_id`` no longer queue on the primary key:
both decide, the second insert finds the first's row and raises ``CD40R``, which undoes the
whole statement (its ticket update included); the caller runs the statement again and reads the
stored answer. What is decided and answered does not change.
"""

from collections.abc import Sequence

from alembic import op
from crowdify.db.migration_schema import migration_schema

revision: str = "0004"
down_revision: str | None = "0003"
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
        SET inside = false, last_scan_at = now(), changed_xid = pg_current_xact_id()::text::bigint
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
            last_scan_at = now(),
            changed_xid = pg_current_xact_id()::text::bigint
        WHERE id = p_ticket_id AND event_id = p_event_id AND status = 'valid' AND serial <= p_serial
          AND (first_entry_at IS NULL OR (NOT inside AND EXISTS (
                SELECT 1 FROM {s}.events e WHERE e.id = event_id AND e.reentry_allowed)))
        RETURNING * INTO t;
        IF FOUND THEN v_result := 'admitted'; END IF;
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
                    SET inside = false, last_scan_at = greatest(last_scan_at, v_at),
                        changed_xid = pg_current_xact_id()::text::bigint
                    WHERE id = t.id RETURNING * INTO t;
                    v_result := 'exited';
                ELSE
                    v_result := 'not_inside';
                END IF;
            ELSIF t.first_entry_at IS NULL OR v_at < t.first_entry_at THEN
                -- The earliest scan wins: this one becomes the first entry.
                UPDATE {s}.tickets
                SET inside = true, entries = entries + 1, first_entry_at = v_at,
                    first_entry_gate = p_gates[i], last_scan_at = greatest(last_scan_at, v_at),
                    changed_xid = pg_current_xact_id()::text::bigint
                WHERE id = t.id RETURNING * INTO t;
                v_result := 'admitted';
            ELSIF coalesce(v_reentry, false) AND NOT t.inside THEN
                UPDATE {s}.tickets
                SET inside = true, entries = entries + 1, last_scan_at = greatest(last_scan_at, v_at),
                    changed_xid = pg_current_xact_id()::text::bigint
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


def upgrade() -> None:
    s = migration_schema()
    for function in (SCAN, SYNC):
        op.execute(function.format(s=s))


def downgrade() -> None:
    # The functions as revision 0002 created them, read from that revision's module.
    script = op.get_context().script
    assert script is not None, "validation-svc migrations run through alembic's command line"
    previous = script.get_revision("0002").module
    s = migration_schema()
    for function in (previous.SCAN, previous.SYNC):
        op.execute(function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").format(s=s))

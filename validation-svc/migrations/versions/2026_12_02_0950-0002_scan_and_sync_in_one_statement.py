"""a scan decided in one statement; scan ids belong to their caller

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:50:00+00:00

``door_scan`` decides one online scan and ``door_sync`` a chunk of offline scans, each in one
round trip (docs/adr/0014-door-scan-in-one-statement.md). A ``scan_id`` is now unique per caller
(the token's subject: a door device or a person), so one device can no longer read another's
stored answer by sending its ``scan_id``; a repeat that names another event, ticket or direction
is refused by the functions with SQLSTATE ``CD409``, a revoked device with ``CD401``.
"""

from collections.abc import Sequence

from alembic import op
from crowdify.db.migration_schema import migration_schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# How the API has always written times: ISO 8601 in UTC.
TIME_TEXT = """
CREATE FUNCTION {s}.door_time_text(at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') $$;
"""

# A device token's device must be registered and not revoked (NULL: a person's token).
CHECK_DEVICE = """
CREATE FUNCTION {s}.door_check_device(p_device uuid) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF p_device IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM {s}.devices d WHERE d.id = p_device AND d.revoked_at IS NULL
    ) THEN
        RAISE EXCEPTION 'device revoked' USING ERRCODE = 'CD401';
    END IF;
END;
$$;
"""

# One online scan. The INSERT claims (scanner, scan_id): a concurrent repeat waits on the primary
# key and then reads the first one's stored answer. The conditional UPDATE admits: PostgreSQL
# serialises updates of one row and re-checks the condition after waiting, so exactly one of any
# number of concurrent scans of a ticket is admitted; the others read why they lost.
SCAN = """
CREATE FUNCTION {s}.door_scan(
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

    INSERT INTO {s}.scans (scanner, scan_id, event_id, ticket_id, gate, device_id, direction, scanned_at)
    VALUES (p_scanner, p_scan_id, p_event_id, p_ticket_id, p_gate, p_device_label, p_direction, now())
    ON CONFLICT (scanner, scan_id) DO NOTHING;
    IF NOT FOUND THEN
        SELECT s.event_id, s.ticket_id, s.direction, s.response INTO v_stored
        FROM {s}.scans s WHERE s.scanner = p_scanner AND s.scan_id = p_scan_id;
        IF v_stored.event_id <> p_event_id OR v_stored.ticket_id IS DISTINCT FROM p_ticket_id
           OR v_stored.direction <> p_direction THEN
            RAISE EXCEPTION 'scan id reused' USING ERRCODE = 'CD409', DETAIL = p_scan_id;
        END IF;
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
    UPDATE {s}.scans SET result = v_result, response = v_answer::jsonb
    WHERE scanner = p_scanner AND scan_id = p_scan_id;
    RETURN v_answer::text;
END;
$$;
"""

# A chunk of one device's offline scans, already in the order they were made, in one
# transaction. The tickets they name are locked first, in id order (two devices syncing at once
# cannot deadlock); then each scan is decided as before: the earliest scan wins.
SYNC = """
CREATE FUNCTION {s}.door_sync(
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
        INSERT INTO {s}.scans (scanner, scan_id, event_id, ticket_id, gate, device_id, direction, scanned_at)
        VALUES (p_scanner, p_scan_ids[i], p_event_id, p_ticket_ids[i], p_gates[i], p_device_label,
                p_directions[i], v_at)
        ON CONFLICT (scanner, scan_id) DO NOTHING;
        IF NOT FOUND THEN
            SELECT s.event_id, s.ticket_id, s.direction, s.response INTO v_stored
            FROM {s}.scans s WHERE s.scanner = p_scanner AND s.scan_id = p_scan_ids[i];
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
        UPDATE {s}.scans SET result = v_result, response = v_answer::jsonb
        WHERE scanner = p_scanner AND scan_id = p_scan_ids[i];
        RETURN NEXT v_answer::text;
    END LOOP;
END;
$$;
"""


def upgrade() -> None:
    s = migration_schema()
    op.execute(f"UPDATE {s}.scans SET scanner = '' WHERE scanner IS NULL")
    op.execute(f"ALTER TABLE {s}.scans ALTER COLUMN scanner SET NOT NULL")
    op.execute(f"ALTER TABLE {s}.scans DROP CONSTRAINT pk_scans")
    op.execute(f"ALTER TABLE {s}.scans ADD CONSTRAINT pk_scans PRIMARY KEY (scanner, scan_id)")
    for function in (TIME_TEXT, CHECK_DEVICE, SCAN, SYNC):
        op.execute(function.format(s=s))


def downgrade() -> None:
    s = migration_schema()
    op.execute(f"DROP FUNCTION {s}.door_sync(text, uuid, uuid, text, text[], uuid[], uuid[], integer[], "
               "text[], text[], timestamptz[], text[])")
    op.execute(f"DROP FUNCTION {s}.door_scan(text, uuid, text, uuid, uuid, uuid, integer, text, text, text)")
    op.execute(f"DROP FUNCTION {s}.door_check_device(uuid)")
    op.execute(f"DROP FUNCTION {s}.door_time_text(timestamptz)")
    # Fails if two callers used one scan_id since the upgrade: those rows would need new ids.
    op.execute(f"ALTER TABLE {s}.scans DROP CONSTRAINT pk_scans")
    op.execute(f"ALTER TABLE {s}.scans ADD CONSTRAINT pk_scans PRIMARY KEY (scan_id)")
    op.execute(f"ALTER TABLE {s}.scans ALTER COLUMN scanner DROP NOT NULL")

"""tickets.code_digest: a scanned code the registry issued is recognised without its signature

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 14:00:00+00:00

Checking a code's Ed25519 signature costs validation-api about 70 us of CPU per scan, about a
seventeenth of what the whole platform spends on a scan (docs/performance.md). The registry
already sees every code it is told about (``purchase.tickets.issued.v1`` carries each one,
verified there), so it now keeps a digest of each (BLAKE2b-128 of the code's canonical spelling
under the service's own key, ``crowdify.tickets.code_digest``), and a scanned code whose digest
matches its ticket's is that issued code, byte for byte: genuine without the signature check
(ADR 0024).

``door_scan`` and ``door_scans`` gain a last argument, the scanned code's digest. When it is given
and is not the ticket's, they decide nothing, write nothing and answer ``unknown_code`` (not an
answer, a signal): the caller then checks the signature as before and, if it holds, calls again
with no digest, which decides exactly as the functions without the argument do. So every verdict
is what it was: a forged code is still ``invalid`` (now after one read), and a genuine code the
registry has no digest for (a ticket registered before this migration, or one whose code was
re-signed) is decided after its signature is checked. The functions without the argument stay,
for API processes still running the previous release while this one rolls out.

Adding a nullable column without a default rewrites nothing, but it takes the table's exclusive
lock for a moment, and waits for it behind any open transaction on the table while every scan
waits behind it: deploy it outside a door. Tickets registered earlier keep a NULL digest, and
their codes keep the signature check.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Answered instead of a verdict when the scanned code is not the one the registry issued.
UNKNOWN_CODE = "unknown_code"

SCAN = """
CREATE FUNCTION {s}.door_scan(
    p_scanner text, p_device uuid, p_scan_id text, p_event_id uuid, p_ticket_id uuid,
    p_code_event_id uuid, p_serial integer, p_gate text, p_device_label text, p_direction text,
    p_code_digest bytea
) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    IF p_code_digest IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM {s}.tickets t WHERE t.id = p_ticket_id AND t.code_digest = p_code_digest
    ) THEN
        RETURN '{unknown}';
    END IF;
    RETURN {s}.door_scan(
        p_scanner, p_device, p_scan_id, p_event_id, p_ticket_id,
        p_code_event_id, p_serial, p_gate, p_device_label, p_direction);
END;
$$;
"""

SCANS = """
CREATE FUNCTION {s}.door_scans(
    p_scanners text[], p_devices uuid[], p_scan_ids text[], p_event_ids uuid[], p_ticket_ids uuid[],
    p_code_event_ids uuid[], p_serials integer[], p_gates text[], p_device_labels text[],
    p_directions text[], p_code_digests bytea[]
) RETURNS SETOF text
LANGUAGE plpgsql
AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_scan_ids, 1), 0) LOOP
        IF p_code_digests[i] IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM {s}.tickets t WHERE t.id = p_ticket_ids[i] AND t.code_digest = p_code_digests[i]
        ) THEN
            RETURN NEXT '{unknown}';  -- checked by the caller, alone (as door_scan above)
        ELSIF p_devices[i] IS NOT NULL AND NOT EXISTS (
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
    s = migration_schema()
    op.execute(f"ALTER TABLE {s}.tickets ADD COLUMN code_digest bytea")
    op.execute(SCAN.format(s=s, unknown=UNKNOWN_CODE))
    op.execute(SCANS.format(s=s, unknown=UNKNOWN_CODE))


def downgrade() -> None:
    s = migration_schema()
    op.execute(
        f"DROP FUNCTION {s}.door_scans("
        "text[], uuid[], text[], uuid[], uuid[], uuid[], integer[], text[], text[], text[], bytea[])"
    )
    op.execute(
        f"DROP FUNCTION {s}.door_scan(text, uuid, text, uuid, uuid, uuid, integer, text, text, text, bytea)"
    )
    op.execute(f"ALTER TABLE {s}.tickets DROP COLUMN code_digest")

"""decide_holds reads each buyer's live holds from the buyer, not from every live hold

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 22:00:00+00:00

``decide_holds`` (migration 0004) counts the live holds of the batch's buyers for the per-buyer
cap. PostgreSQL plans a function's statements and keeps the plans for the connection, and two of
them kept plans that read far more than a batch needs:

- The buyers' live holds: the query joined every live hold to the batch's (event, buyer) pairs.
  A plan kept for the connection knows neither how many buyers a batch has nor which, and on this
  platform's database it read every live hold of every event through ``ix_holds_live_expiry``:
  2.4 ms for a batch of 34 orders with 50,000 entries in that index, more with every order of an
  on-sale. The query now goes from each buyer of the batch to that buyer's live holds
  (``ix_holds_live_by_buyer``, a lateral subquery), and is planned for each batch with its own
  buyers (``EXECUTE``), at the cost of planning one statement per batch.
- The orders decided before, looked up by id: planned while ``holds`` was small and without
  statistics (a new database, or a server without autovacuum), the kept plan read the whole
  table for every batch. The function now runs with sequential scans off, as the door's sessions
  do: every statement in it finds its rows by a key.

Only that statement changes in the function's text, so the text is taken from the database and
the statement replaced in it (checked to be there once), rather than the whole function written
again here; ``downgrade`` puts the old statement back the same way.
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

from crowdify.db.migration_schema import migration_schema

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "decide_holds(timestamptz, uuid[], uuid[], text[], integer[], uuid[], integer[])"

FROM_EVERY_LIVE_HOLD = """
        SELECT array_agg(live.k), array_agg(live.quantity) INTO v_live_keys, v_live_qty
        FROM (
            SELECT 'event-svc:buyer-holds:' || h.event_id || ':' || h.buyer_id AS k,
                   sum(l.quantity)::integer AS quantity
            FROM {s}.holds h
            JOIN {s}.hold_lines l ON l.order_id = h.order_id
            JOIN (
                SELECT DISTINCT p_event_ids[g.pos] AS event_id, p_buyer_ids[g.pos] AS buyer_id
                FROM generate_series(1, v_n) AS g(pos) WHERE v_keys[g.pos] IS NOT NULL
            ) AS b ON h.event_id = b.event_id AND h.buyer_id = b.buyer_id
            WHERE h.status = 'held' AND h.hold_expires_at > p_now
            GROUP BY h.event_id, h.buyer_id
        ) AS live;
"""

FROM_EACH_BUYER = """
        -- From each buyer of the batch to that buyer's live holds (ix_holds_live_by_buyer), planned
        -- for each batch with its own buyers (EXECUTE): a plan kept for the connection knows
        -- neither how many buyers a batch has nor which, and read every live hold of every event
        -- instead, more with every order of an on-sale (migration 0006). The buyers are taken by
        -- position, as everywhere here: v_keys begins at the batch's first order with a key.
        EXECUTE $live$
            SELECT array_agg(b.k), array_agg(live.quantity)
            FROM (
                SELECT DISTINCT $1[g.pos] AS k, $2[g.pos] AS event_id, $3[g.pos] AS buyer_id
                FROM generate_series(1, $5) AS g(pos) WHERE $1[g.pos] IS NOT NULL
            ) AS b
            CROSS JOIN LATERAL (
                SELECT (sum(l.quantity) FILTER (WHERE h.hold_expires_at > $4))::integer AS quantity
                FROM {s}.holds h
                JOIN {s}.hold_lines l ON l.order_id = h.order_id
                WHERE h.event_id = b.event_id AND h.buyer_id = b.buyer_id AND h.status = 'held'
            ) AS live
            WHERE live.quantity IS NOT NULL
        $live$ INTO v_live_keys, v_live_qty USING v_keys, p_event_ids, p_buyer_ids, p_now, v_n;
"""


def _replace_statement(old: str, new: str) -> None:
    s = migration_schema()
    connection = op.get_bind()
    definition = connection.execute(
        text("SELECT pg_get_functiondef(CAST(:signature AS regprocedure))"),
        {"signature": f"{s}.{SIGNATURE}"},
    ).scalar_one()
    old, new = old.format(s=s), new.format(s=s)
    found = definition.count(old)
    if found != 1:
        raise RuntimeError(f"{s}.decide_holds holds the statement to replace {found} times, not once")
    connection.exec_driver_sql(definition.replace(old, new))


def upgrade() -> None:
    _replace_statement(FROM_EVERY_LIVE_HOLD, FROM_EACH_BUYER)
    op.execute(f"ALTER FUNCTION {migration_schema()}.{SIGNATURE} SET enable_seqscan = off")


def downgrade() -> None:
    op.execute(f"ALTER FUNCTION {migration_schema()}.{SIGNATURE} RESET enable_seqscan")
    _replace_statement(FROM_EACH_BUYER, FROM_EVERY_LIVE_HOLD)

"""a batch of holds decided in one statement; expiry sweeps too

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 17:30:00+00:00

``decide_holds`` decides a batch of placed orders inside PostgreSQL, in arrival order, with the
rules ``hold_plan.py`` applied in Python until now (docs/adr/0018-holds-decided-in-batches.md):
orders decided before keep their decision; the buyers' advisory keys, then the events, then the
ticket types are locked (each in order); every order is decided first come first served within
its ticket type; if one found no room, the expired holds of the batch's types are released once
and the batch is decided again; the result is written with one conditional update of the
events, one of the ticket types (the ``within_capacity`` CHECK constraints stay the last fence),
one insert of holds and one of their lines. It returns one row per hold it expired and one per
order, from which the caller writes the outbox rows. ``expire_due_holds`` is an expiry sweep,
for the worker's periodic sweep and for a batch short of room. A batch was about fourteen round
trips one after the other, a sweep six; each is now one (plus the outbox's).
"""

from collections.abc import Sequence

from alembic import op
from crowdify.db.migration_schema import migration_schema

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A sales window is half open: open from its start, closed from its end.
SALES_OPEN = """
CREATE FUNCTION {s}.hold_sales_open(p_now timestamptz, p_start timestamptz, p_end timestamptz)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (p_start IS NULL OR p_start <= p_now) AND (p_end IS NULL OR p_now < p_end) $$;
"""

# Holds past their expiry and still held, locked with SKIP LOCKED (several workers, and batches
# looking for room, expire at once without waiting on each other): those of the given ticket
# types of the given events when ``p_type_ids`` is given, else the ``p_limit`` oldest. Their live
# seats go back to the counters (the events locked first, in id order, as every writer of the
# counters does) and the holds become ``expired``. One row per hold, oldest first, with its live
# lines for the announcement.
EXPIRE = """
CREATE FUNCTION {s}.expire_due_holds(p_limit integer, p_type_ids uuid[], p_event_ids uuid[])
RETURNS TABLE (seq integer, order_id uuid, event_id uuid, ticket_type_ids uuid[], quantities integer[])
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_orders uuid[];
    v_events uuid[];
    v_line_orders uuid[];
    v_line_types uuid[];
    v_line_quantities integer[];
BEGIN
    IF p_type_ids IS NULL THEN
        WITH due AS (
            SELECT h.order_id, h.event_id, h.hold_expires_at FROM {s}.holds h
            WHERE h.status = 'held' AND h.hold_expires_at <= now()
            ORDER BY h.hold_expires_at, h.order_id LIMIT p_limit FOR UPDATE SKIP LOCKED
        )
        SELECT array_agg(d.order_id ORDER BY d.hold_expires_at, d.order_id),
               array_agg(d.event_id ORDER BY d.hold_expires_at, d.order_id)
        INTO v_orders, v_events FROM due d;
    ELSE
        -- By event first: the live holds of an event are a short walk of ix_holds_live_by_buyer,
        -- where hold_lines has no index by ticket type.
        WITH due AS (
            SELECT h.order_id, h.event_id, h.hold_expires_at FROM {s}.holds h
            WHERE h.event_id = ANY(p_event_ids) AND h.status = 'held' AND h.hold_expires_at <= now()
              AND h.order_id IN (
                  SELECT l.order_id FROM {s}.hold_lines l WHERE l.ticket_type_id = ANY(p_type_ids))
            ORDER BY h.hold_expires_at, h.order_id FOR UPDATE SKIP LOCKED
        )
        SELECT array_agg(d.order_id ORDER BY d.hold_expires_at, d.order_id),
               array_agg(d.event_id ORDER BY d.hold_expires_at, d.order_id)
        INTO v_orders, v_events FROM due d;
    END IF;
    IF v_orders IS NULL THEN
        RETURN;
    END IF;

    PERFORM 1 FROM {s}.events e WHERE e.id = ANY(v_events) ORDER BY e.id FOR UPDATE;
    SELECT array_agg(l.order_id ORDER BY l.order_id, l.ticket_type_id),
           array_agg(l.ticket_type_id ORDER BY l.order_id, l.ticket_type_id),
           array_agg(l.quantity - l.refunded ORDER BY l.order_id, l.ticket_type_id)
    INTO v_line_orders, v_line_types, v_line_quantities
    FROM {s}.hold_lines l WHERE l.order_id = ANY(v_orders) AND l.quantity > l.refunded;

    UPDATE {s}.events e SET held = e.held - d.n
    FROM (
        SELECT o.event_id, sum(l.quantity)::integer AS n
        FROM unnest(v_line_orders, v_line_quantities) AS l(order_id, quantity)
        JOIN unnest(v_orders, v_events) AS o(order_id, event_id) ON o.order_id = l.order_id
        GROUP BY o.event_id
    ) AS d
    WHERE e.id = d.event_id;
    UPDATE {s}.ticket_types t SET held = t.held - d.n
    FROM (
        SELECT l.ticket_type_id, sum(l.quantity)::integer AS n
        FROM unnest(v_line_types, v_line_quantities) AS l(ticket_type_id, quantity)
        GROUP BY l.ticket_type_id
    ) AS d
    WHERE t.id = d.ticket_type_id;
    UPDATE {s}.holds h SET status = 'expired', updated_at = now() WHERE h.order_id = ANY(v_orders);

    RETURN QUERY
    SELECT o.seq::integer, o.order_id, o.event_id,
           coalesce(array_agg(l.ticket_type_id ORDER BY l.ticket_type_id)
                    FILTER (WHERE l.ticket_type_id IS NOT NULL), ARRAY[]::uuid[]),
           coalesce(array_agg(l.quantity ORDER BY l.ticket_type_id)
                    FILTER (WHERE l.ticket_type_id IS NOT NULL), ARRAY[]::integer[])
    FROM unnest(v_orders, v_events) WITH ORDINALITY AS o(order_id, event_id, seq)
    LEFT JOIN unnest(v_line_orders, v_line_types, v_line_quantities) AS l(order_id, ticket_type_id, quantity)
        ON l.order_id = o.order_id
    GROUP BY o.seq, o.order_id, o.event_id
    ORDER BY o.seq;
END;
$$;
"""

# The batch comes as parallel arrays in arrival order: one element per order (``p_line_counts``
# says how many of the flat ``p_line_*`` arrays are its lines, merged to one per ticket type).
# ``p_now`` is the caller's clock, as the rules (sales windows, the end of the event, live holds)
# were always read against it. Rows out: first one per hold expired to make room (kind
# ``expired``), then one per order in arrival order (kind ``order``): its status; whether it was
# decided now and must be announced (not an order decided before, nor a later copy of one in
# this batch); the rejection's reason and detail, or what the reservation announces.
DECIDE = """
CREATE FUNCTION {s}.decide_holds(
    p_now timestamptz, p_order_ids uuid[], p_event_ids uuid[], p_buyer_ids text[],
    p_line_counts integer[], p_line_type_ids uuid[], p_line_quantities integer[]
) RETURNS TABLE (
    kind text, seq integer, order_id uuid, event_id uuid, status text, announce boolean,
    reason text, detail text, hold_expires_at timestamptz,
    event_name text, event_starts_at timestamptz, venue text,
    ticket_type_ids uuid[], ticket_type_names text[], quantities integer[],
    unit_prices integer[], currencies text[]
)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
    v_n integer := coalesce(array_length(p_order_ids, 1), 0);
    v_first integer[] := ARRAY[]::integer[];       -- per order: its first line
    v_line_pos integer[] := ARRAY[]::integer[];    -- per line: its order
    v_line_type integer[] := ARRAY[]::integer[];   -- per line: its ticket type in v_ty
    v_state text[] := ARRAY[]::text[];             -- per order: todo, earlier or copy
    v_status text[] := ARRAY[]::text[];
    v_reason text[] := ARRAY[]::text[];
    v_detail text[] := ARRAY[]::text[];
    v_keys text[] := ARRAY[]::text[];              -- per order to decide: its buyer's key
    v_known_ids uuid[];
    v_known_status text[];
    v_live_keys text[];                            -- live holds per buyer key, committed before
    v_live_qty integer[];
    v_plan_keys text[];                            -- the same with this batch's holds
    v_plan_qty integer[];
    v_event_ids uuid[];
    v_type_ids uuid[];
    v_ev {s}.events[];
    v_ev_ids uuid[];
    v_ev_room integer[];
    v_ty {s}.ticket_types[];
    v_ty_ids uuid[];
    v_ty_room integer[];
    v_next integer := 1;
    v_a integer;
    v_b integer;
    v_e integer;
    v_t integer;
    v_k integer;
    v_total integer;
    v_room integer;
    v_cap integer;
    v_already integer;
    v_amount bigint;
    v_currency text;
    v_mixed boolean;
    v_short boolean;
    v_expired integer;
    v_planned integer;
    v_changed integer;
BEGIN
    -- Orders decided before (by an earlier batch, a cancellation that overtook the order, or a
    -- copy under another message id) keep their decision and announce nothing.
    SELECT array_agg(h.order_id), array_agg(h.status::text) INTO v_known_ids, v_known_status
    FROM {s}.holds h WHERE h.order_id = ANY(p_order_ids);
    FOR i IN 1..v_n LOOP
        v_k := array_position(v_known_ids, p_order_ids[i]);
        IF v_k IS NOT NULL THEN
            v_state[i] := 'earlier';
            v_status[i] := v_known_status[v_k];
        ELSIF array_position(p_order_ids, p_order_ids[i]) < i THEN
            v_state[i] := 'copy';
        ELSE
            v_state[i] := 'todo';
            IF p_buyer_ids[i] IS NOT NULL THEN
                -- The key a buyer's concurrent orders for one event queue on (READ COMMITTED:
                -- each then counts the holds the others committed). Other buyers never wait.
                v_keys[i] := 'event-svc:buyer-holds:' || p_event_ids[i] || ':' || p_buyer_ids[i];
            END IF;
        END IF;
        v_first[i] := v_next;
        FOR j IN v_next..v_next + p_line_counts[i] - 1 LOOP
            v_line_pos[j] := i;
        END LOOP;
        v_next := v_next + p_line_counts[i];
    END LOOP;

    SELECT array_agg(DISTINCT p_event_ids[g.pos] ORDER BY p_event_ids[g.pos]) INTO v_event_ids
    FROM generate_series(1, v_n) AS g(pos) WHERE v_state[g.pos] = 'todo';

    IF v_event_ids IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(keys.k, 0))
        FROM (SELECT DISTINCT u.k FROM unnest(v_keys) AS u(k) WHERE u.k IS NOT NULL ORDER BY u.k) AS keys;

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

        SELECT array_agg(DISTINCT p_line_type_ids[j] ORDER BY p_line_type_ids[j]) INTO v_type_ids
        FROM generate_series(1, coalesce(array_length(p_line_type_ids, 1), 0)) AS j
        WHERE v_state[v_line_pos[j]] = 'todo';
    END IF;

    -- Decide every order in arrival order against the locked counters; a second time after the
    -- expired holds of the batch's types were released, if the first left an order short of room
    -- (no buyer is told sold_out while expired holds, not yet swept, count against capacity).
    FOR v_attempt IN 1..2 LOOP
        EXIT WHEN v_event_ids IS NULL;
        -- Events first, then ticket types, each in id order: every writer of a type's counters
        -- holds its event's row lock, so batches, sweeps, payments and refunds cannot deadlock.
        PERFORM 1 FROM {s}.events e WHERE e.id = ANY(v_event_ids) ORDER BY e.id FOR UPDATE;
        PERFORM 1 FROM {s}.ticket_types t WHERE t.id = ANY(v_type_ids) ORDER BY t.id FOR UPDATE;
        SELECT array_agg(e ORDER BY e.id), array_agg(e.id ORDER BY e.id),
               array_agg(e.capacity - e.sold - e.held ORDER BY e.id)
        INTO v_ev, v_ev_ids, v_ev_room
        FROM {s}.events e WHERE e.id = ANY(v_event_ids);
        SELECT array_agg(t ORDER BY t.id), array_agg(t.id ORDER BY t.id),
               array_agg(t.capacity - t.sold - t.held ORDER BY t.id)
        INTO v_ty, v_ty_ids, v_ty_room
        FROM {s}.ticket_types t WHERE t.id = ANY(v_type_ids);
        v_plan_keys := v_live_keys;
        v_plan_qty := v_live_qty;
        v_short := false;

        FOR i IN 1..v_n LOOP
            CONTINUE WHEN v_state[i] <> 'todo';
            v_reason[i] := NULL;
            v_detail[i] := NULL;
            v_a := v_first[i];
            v_b := v_first[i] + p_line_counts[i] - 1;
            v_total := 0;
            FOR j IN v_a..v_b LOOP
                v_total := v_total + p_line_quantities[j];
            END LOOP;
            v_e := array_position(v_ev_ids, p_event_ids[i]);
            <<checks>>
            BEGIN
                IF v_e IS NULL OR (v_ev[v_e]).status <> 'published' THEN
                    v_reason[i] := 'event_unavailable';
                    v_detail[i] := 'the event is not on sale';
                    EXIT checks;
                END IF;
                IF coalesce((v_ev[v_e]).ends_at, (v_ev[v_e]).starts_at) <= p_now THEN
                    v_reason[i] := 'event_unavailable';
                    v_detail[i] := 'the event is over';
                    EXIT checks;
                END IF;
                FOR j IN v_a..v_b LOOP
                    v_t := array_position(v_ty_ids, p_line_type_ids[j]);
                    IF v_t IS NULL OR (v_ty[v_t]).event_id <> p_event_ids[i] THEN
                        v_reason[i] := 'event_unavailable';
                        v_detail[i] := 'a ticket type does not belong to this event';
                        EXIT checks;
                    END IF;
                    v_line_type[j] := v_t;
                END LOOP;
                IF NOT {s}.hold_sales_open(p_now, (v_ev[v_e]).sales_start, (v_ev[v_e]).sales_end) THEN
                    v_reason[i] := 'sales_closed';
                    v_detail[i] := 'sales for this event are closed';
                    EXIT checks;
                END IF;
                FOR j IN v_a..v_b LOOP
                    v_t := v_line_type[j];
                    IF NOT {s}.hold_sales_open(p_now, (v_ty[v_t]).sales_start, (v_ty[v_t]).sales_end) THEN
                        v_reason[i] := 'sales_closed';
                        v_detail[i] := format('sales of %s are closed', (v_ty[v_t]).name);
                        EXIT checks;
                    END IF;
                    IF p_line_quantities[j] > (v_ty[v_t]).max_per_order THEN
                        v_reason[i] := 'limit_exceeded';
                        v_detail[i] := format('at most %s of %s per order', (v_ty[v_t]).max_per_order,
                                              (v_ty[v_t]).name);
                        EXIT checks;
                    END IF;
                END LOOP;
                -- Events created before one currency per event was enforced may still mix them:
                -- an order's total is one amount in one currency, and it must fit the integer
                -- columns that store it.
                v_currency := (v_ty[v_line_type[v_a]]).currency;
                v_mixed := false;
                v_amount := 0;
                v_cap := 0;
                FOR j IN v_a..v_b LOOP
                    v_t := v_line_type[j];
                    v_mixed := v_mixed OR (v_ty[v_t]).currency <> v_currency;
                    v_amount := v_amount + (v_ty[v_t]).price::bigint * p_line_quantities[j];
                    v_cap := greatest(v_cap, (v_ty[v_t]).max_per_order);
                END LOOP;
                IF v_mixed THEN
                    v_reason[i] := 'event_unavailable';
                    v_detail[i] := 'one order cannot mix currencies';
                    EXIT checks;
                END IF;
                IF v_amount > 2147483647 THEN
                    v_reason[i] := 'limit_exceeded';
                    v_detail[i] := 'the order''s total is larger than one payment can be';
                    EXIT checks;
                END IF;
                -- What one buyer may hold unpaid at once (crowdify.contracts.common.buyer_hold_cap):
                -- the event's own cap, else the largest max_per_order of the order's types;
                -- counting the holds committed before and those this batch already took.
                v_cap := coalesce((v_ev[v_e]).max_held_per_buyer, v_cap);
                IF v_keys[i] IS NULL THEN
                    IF v_total > v_cap THEN
                        v_reason[i] := 'limit_exceeded';
                        v_detail[i] := format('at most %s tickets per order for this event', v_cap);
                        EXIT checks;
                    END IF;
                ELSE
                    v_k := array_position(v_plan_keys, v_keys[i]);
                    v_already := coalesce(v_plan_qty[v_k], 0);
                    IF v_already + v_total > v_cap THEN
                        v_reason[i] := 'limit_exceeded';
                        v_detail[i] := format(
                            'at most %s unpaid tickets per buyer for this event; %s already held',
                            v_cap, v_already);
                        EXIT checks;
                    END IF;
                END IF;
                -- First come, first served: room left after the earlier orders of the batch.
                v_room := v_ev_room[v_e];
                IF v_room < v_total THEN
                    v_reason[i] := 'sold_out';
                END IF;
                FOR j IN v_a..v_b LOOP
                    IF v_ty_room[v_line_type[j]] < p_line_quantities[j] THEN
                        v_reason[i] := 'sold_out';
                    END IF;
                END LOOP;
                IF v_reason[i] IS NOT NULL THEN
                    v_detail[i] := 'not enough tickets left';
                    v_short := true;
                    EXIT checks;
                END IF;
                -- Held.
                v_ev_room[v_e] := v_room - v_total;
                FOR j IN v_a..v_b LOOP
                    v_ty_room[v_line_type[j]] := v_ty_room[v_line_type[j]] - p_line_quantities[j];
                END LOOP;
                IF v_keys[i] IS NOT NULL THEN
                    IF v_k IS NULL THEN
                        v_plan_keys := array_append(v_plan_keys, v_keys[i]);
                        v_plan_qty := array_append(v_plan_qty, v_total);
                    ELSE
                        v_plan_qty[v_k] := v_plan_qty[v_k] + v_total;
                    END IF;
                END IF;
            END checks;
        END LOOP;

        EXIT WHEN NOT v_short OR v_attempt = 2;
        RETURN QUERY
        SELECT 'expired'::text, x.seq, x.order_id, x.event_id, 'expired'::text, true,
               NULL::text, NULL::text, NULL::timestamptz, NULL::text, NULL::timestamptz, NULL::text,
               x.ticket_type_ids, NULL::text[], x.quantities, NULL::integer[], NULL::text[]
        FROM {s}.expire_due_holds(NULL, v_type_ids, v_event_ids) AS x;
        GET DIAGNOSTICS v_expired = ROW_COUNT;
        EXIT WHEN v_expired = 0;
    END LOOP;

    IF v_event_ids IS NOT NULL THEN
        -- One conditional update of the events and one of the ticket types for the whole batch.
        -- The rows are locked and the room was counted, so fewer rows changed than planned is a
        -- bug: the batch is undone (and its orders decided one by one).
        WITH planned AS (
            SELECT p_event_ids[l.pos] AS id, sum(l.quantity)::integer AS n
            FROM unnest(v_line_pos, p_line_quantities) AS l(pos, quantity)
            WHERE v_state[l.pos] = 'todo' AND v_reason[l.pos] IS NULL
            GROUP BY 1
        ), changed AS (
            UPDATE {s}.events e SET held = e.held + planned.n FROM planned
            WHERE e.id = planned.id AND (e.capacity IS NULL OR e.capacity - e.sold - e.held >= planned.n)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM planned), (SELECT count(*) FROM changed) INTO v_planned, v_changed;
        IF v_changed <> v_planned THEN
            RAISE EXCEPTION '% of % events had the room the batch counted on', v_changed, v_planned
                USING ERRCODE = 'CDH01';
        END IF;
        WITH planned AS (
            SELECT l.ticket_type_id AS id, sum(l.quantity)::integer AS n
            FROM unnest(v_line_pos, p_line_type_ids, p_line_quantities) AS l(pos, ticket_type_id, quantity)
            WHERE v_state[l.pos] = 'todo' AND v_reason[l.pos] IS NULL
            GROUP BY 1
        ), changed AS (
            UPDATE {s}.ticket_types t SET held = t.held + planned.n FROM planned
            WHERE t.id = planned.id AND t.capacity - t.sold - t.held >= planned.n
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM planned), (SELECT count(*) FROM changed) INTO v_planned, v_changed;
        IF v_changed <> v_planned THEN
            RAISE EXCEPTION '% of % ticket types had the room the batch counted on', v_changed, v_planned
                USING ERRCODE = 'CDH01';
        END IF;

        -- Rejections of orders for real events are kept too, so the decision is never taken twice.
        INSERT INTO {s}.holds (order_id, event_id, buyer_id, status, reason, hold_expires_at)
        SELECT p_order_ids[g.pos], p_event_ids[g.pos],
               CASE WHEN v_reason[g.pos] IS NULL THEN p_buyer_ids[g.pos] END,
               CASE WHEN v_reason[g.pos] IS NULL THEN 'held' ELSE 'rejected' END,
               v_reason[g.pos],
               CASE WHEN v_reason[g.pos] IS NULL THEN p_now + make_interval(mins => e.hold_minutes) END
        FROM generate_series(1, v_n) AS g(pos)
        JOIN {s}.events e ON e.id = p_event_ids[g.pos]
        WHERE v_state[g.pos] = 'todo'
        ORDER BY g.pos;
        INSERT INTO {s}.hold_lines (order_id, ticket_type_id, quantity, unit_price)
        SELECT p_order_ids[l.pos], l.ticket_type_id, l.quantity, t.price
        FROM unnest(v_line_pos, p_line_type_ids, p_line_quantities) AS l(pos, ticket_type_id, quantity)
        JOIN {s}.ticket_types t ON t.id = l.ticket_type_id
        WHERE v_state[l.pos] = 'todo' AND v_reason[l.pos] IS NULL;
    END IF;

    FOR i IN 1..v_n LOOP
        IF v_state[i] = 'todo' THEN
            v_status[i] := CASE WHEN v_reason[i] IS NULL THEN 'held' ELSE 'rejected' END;
        ELSIF v_state[i] = 'copy' THEN
            v_status[i] := v_status[array_position(p_order_ids, p_order_ids[i])];
        END IF;
    END LOOP;

    RETURN QUERY
    SELECT 'order'::text, g.pos, p_order_ids[g.pos], p_event_ids[g.pos], v_status[g.pos],
           v_state[g.pos] = 'todo', v_reason[g.pos], v_detail[g.pos],
           p_now + make_interval(mins => e.hold_minutes), e.name::text, e.starts_at, e.venue::text,
           x.ticket_type_ids, x.ticket_type_names, x.quantities, x.unit_prices, x.currencies
    FROM generate_series(1, v_n) AS g(pos)
    LEFT JOIN {s}.events e
        ON e.id = p_event_ids[g.pos] AND v_state[g.pos] = 'todo' AND v_reason[g.pos] IS NULL
    LEFT JOIN LATERAL (
        SELECT array_agg(t.id ORDER BY s.j) AS ticket_type_ids,
               array_agg(t.name::text ORDER BY s.j) AS ticket_type_names,
               array_agg(p_line_quantities[s.j] ORDER BY s.j) AS quantities,
               array_agg(t.price ORDER BY s.j) AS unit_prices,
               array_agg(t.currency::text ORDER BY s.j) AS currencies
        FROM generate_series(v_first[g.pos], v_first[g.pos] + p_line_counts[g.pos] - 1) AS s(j)
        JOIN {s}.ticket_types t ON t.id = p_line_type_ids[s.j]
    ) AS x ON e.id IS NOT NULL
    ORDER BY g.pos;
END;
$$;
"""


def upgrade() -> None:
    s = migration_schema()
    for function in (SALES_OPEN, EXPIRE, DECIDE):
        op.execute(function.format(s=s))


def downgrade() -> None:
    s = migration_schema()
    op.execute(f"DROP FUNCTION {s}.decide_holds(timestamptz, uuid[], uuid[], text[], integer[], uuid[], integer[])")
    op.execute(f"DROP FUNCTION {s}.expire_due_holds(integer, uuid[], uuid[])")
    op.execute(f"DROP FUNCTION {s}.hold_sales_open(timestamptz, timestamptz, timestamptz)")

"""place_orders: the orders waiting in one API process placed together, in one transaction

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 18:00:00+00:00

Each order was placed by its own statement (ADR 0019): one round trip and one commit per order,
then a second transaction to send its outbox row. In an on-sale every order paid both, so the
commits, not the statements, were most of what placing cost. ``place_orders`` takes the orders
an API process has waiting (group commit, ADR 0019 revised) as parallel arrays and places each
exactly as the single statement does, in the order given, in the caller's one transaction: one
round trip and one commit for the batch, whose outbox rows are then sent together.

An order is placed only when its id is new (an Idempotency-Key's order is never placed twice), its
buyer placed fewer than ``p_per_minute`` orders in the last minute (an earlier order of the same
batch counts: the batch sees its own writes), the catalogue snapshot it was judged against is
still the newest, and the caller found nothing wrong with it. One row comes back per order, in
order, saying which of these held. The lines and attendees arrive flattened, each tagged with the
1-based position of its order. The caller passes the orders sorted by id, so that two batches
holding twins of each other's orders lock them in the same order and cannot deadlock.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACE_ORDERS = """
CREATE FUNCTION {s}.place_orders(
    p_ids uuid[], p_user_ids text[], p_event_ids uuid[], p_buyer_names text[], p_buyer_emails text[],
    p_per_minute integer, p_catalogue_as_of timestamptz[], p_valid boolean[],
    p_outbox_ids uuid[], p_routing_keys text[], p_envelopes text[], p_headers text[],
    p_line_orders integer[], p_line_types uuid[], p_line_quantities integer[],
    p_people_orders integer[], p_people_types uuid[], p_people_positions integer[],
    p_people_names text[], p_people_child_nombres text[], p_people_child_ruts text[],
    p_people_child_births date[]
) RETURNS TABLE (
    out_placed boolean, out_found boolean, out_catalogue_as_of timestamptz,
    out_recent_orders bigint, out_oldest_age double precision
)
LANGUAGE plpgsql
AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_ids, 1), 0) LOOP
        SELECT count(*), extract(epoch FROM now() - min(o.created_at))::float8
        INTO out_recent_orders, out_oldest_age
        FROM {s}.orders o WHERE o.user_id = p_user_ids[i] AND o.created_at > now() - interval '1 minute';
        out_found := EXISTS (SELECT 1 FROM {s}.orders o WHERE o.id = p_ids[i]);
        out_catalogue_as_of := (SELECT c.as_of FROM {s}.catalog_events c WHERE c.id = p_event_ids[i]);
        out_placed := false;
        IF NOT out_found AND out_recent_orders < p_per_minute AND p_valid[i]
           AND out_catalogue_as_of IS NOT DISTINCT FROM p_catalogue_as_of[i] THEN
            INSERT INTO {s}.orders (id, user_id, event_id, buyer_name, buyer_email)
            VALUES (p_ids[i], p_user_ids[i], p_event_ids[i], p_buyer_names[i], p_buyer_emails[i])
            ON CONFLICT (id) DO NOTHING;
            out_placed := FOUND;
        END IF;
        IF out_placed THEN
            INSERT INTO {s}.order_items (order_id, ticket_type_id, quantity)
            SELECT p_ids[i], line.ticket_type_id, line.quantity
            FROM unnest(p_line_orders, p_line_types, p_line_quantities)
                AS line(position_of_order, ticket_type_id, quantity)
            WHERE line.position_of_order = i;
            INSERT INTO {s}.attendees
                (id, order_id, ticket_type_id, position, name, child_nombre, child_rut,
                 child_fecha_nacimiento)
            SELECT gen_random_uuid(), p_ids[i], person.ticket_type_id, person.position, person.name,
                   person.child_nombre, person.child_rut, person.child_fecha_nacimiento
            FROM unnest(p_people_orders, p_people_types, p_people_positions, p_people_names,
                        p_people_child_nombres, p_people_child_ruts, p_people_child_births)
                AS person(position_of_order, ticket_type_id, position, name, child_nombre, child_rut,
                          child_fecha_nacimiento)
            WHERE person.position_of_order = i;
            INSERT INTO {s}.outbox (id, routing_key, envelope, headers)
            VALUES (p_outbox_ids[i], p_routing_keys[i], p_envelopes[i]::jsonb, p_headers[i]::jsonb);
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;
"""


def upgrade() -> None:
    op.execute(PLACE_ORDERS.format(s=migration_schema()))


def downgrade() -> None:
    op.execute(
        f'DROP FUNCTION "{migration_schema()}".place_orders('
        "uuid[], text[], uuid[], text[], text[], integer, timestamptz[], boolean[], uuid[], text[], "
        "text[], text[], integer[], uuid[], integer[], integer[], uuid[], integer[], text[], text[], "
        "text[], date[])"
    )

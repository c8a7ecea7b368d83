"""place_order_batch: the orders placed together announced in one outbox row

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 21:00:00+00:00

``place_orders`` (0005) wrote an outbox row per placed order, so a batch of 64 orders still cost
64 persistent publishes with their confirms and 128 deliveries (event-svc and admin-svc), each
acknowledged and recorded in an inbox. ``place_order_batch`` places the orders exactly as
``place_orders`` does (same arguments for the orders, same rules, same answer per order) and then
writes one row for the batch: the ``purchase.orders.placed.v1`` envelope the caller built for
every order of the batch, in the order of the arrays, its ``orders`` list narrowed by position
to the orders this call placed (none placed: no row). By position, not by id: two requests
with one Idempotency-Key in one batch carry the same order id, and only the one placed is
announced. The envelope is the contracts' serialisation, made by the caller; the function only
leaves out the orders it did not place.

``place_orders`` stays: a purchase-api process of the previous release still calls it while a
rolling deploy replaces it. A later migration drops it.
"""

from collections.abc import Sequence

from alembic import op

from crowdify.db.migration_schema import migration_schema

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACE_ORDER_BATCH = """
CREATE FUNCTION {s}.place_order_batch(
    p_ids uuid[], p_user_ids text[], p_event_ids uuid[], p_buyer_names text[], p_buyer_emails text[],
    p_per_minute integer, p_catalogue_as_of timestamptz[], p_valid boolean[],
    p_line_orders integer[], p_line_types uuid[], p_line_quantities integer[],
    p_people_orders integer[], p_people_types uuid[], p_people_positions integer[],
    p_people_names text[], p_people_child_nombres text[], p_people_child_ruts text[],
    p_people_child_births date[],
    p_outbox_id uuid, p_routing_key text, p_envelope text, p_headers text
) RETURNS TABLE (
    out_placed boolean, out_found boolean, out_catalogue_as_of timestamptz,
    out_recent_orders bigint, out_oldest_age double precision
)
LANGUAGE plpgsql
AS $$
DECLARE
    placed_positions integer[] := '{{}}';
    announcement jsonb;
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
            placed_positions := placed_positions || i;
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
        END IF;
        RETURN NEXT;
    END LOOP;
    IF cardinality(placed_positions) > 0 THEN
        announcement := p_envelope::jsonb;
        announcement := jsonb_set(announcement, '{{payload,orders}}', (
            SELECT jsonb_agg(o.item ORDER BY o.n)
            FROM jsonb_array_elements(announcement -> 'payload' -> 'orders') WITH ORDINALITY AS o(item, n)
            WHERE o.n = ANY (placed_positions)
        ));
        INSERT INTO {s}.outbox (id, routing_key, envelope, headers)
        VALUES (p_outbox_id, p_routing_key, announcement, p_headers::jsonb);
    END IF;
END;
$$;
"""


def upgrade() -> None:
    op.execute(PLACE_ORDER_BATCH.format(s=migration_schema()))


def downgrade() -> None:
    op.execute(
        f'DROP FUNCTION "{migration_schema()}".place_order_batch('
        "uuid[], text[], uuid[], text[], text[], integer, timestamptz[], boolean[], integer[], uuid[], "
        "integer[], integer[], uuid[], integer[], text[], text[], text[], date[], uuid, text, text, text)"
    )

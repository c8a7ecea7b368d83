"""The buyer's hot path in raw SQL on asyncpg: placing an order is one statement, reading it
back is one statement (shared by the reads waiting in the process: a lane of its own).

Both run on the asyncpg connection under a pooled SQLAlchemy connection (a placement keeps one
for its statements and its outbox row's send), outside any explicit transaction (one statement
is atomic by itself), so each costs one round trip: asyncpg prepares each query text once per
connection and reuses it, and no ``BEGIN``/``COMMIT`` is sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from crowdify.contracts.purchase import PlacedOrder
from crowdify.group_commit import GroupCommitLane
from crowdify.messaging.envelope import Envelope
from purchase_svc.settings import SCHEMA

# Inserts the order, its lines, its attendees and its outbox row only when: the order id is new
# (the Idempotency-Key's order is never placed twice; a concurrent twin waits on the primary key
# and inserts nothing), the buyer placed fewer than $6 orders in the last minute, and the
# catalogue snapshot the caller checked the order against ($7, the snapshot's ``as_of``) is still
# the newest, and the caller found nothing wrong with the order in it ($20). The answer says which
# of these held, so the caller refuses in the use case's order (existing, rate, catalogue).
_PLACE = f"""
WITH recent AS (
    SELECT count(*) AS placed, extract(epoch FROM now() - min(created_at))::float8 AS oldest_age
    FROM {SCHEMA}.orders WHERE user_id = $2 AND created_at > now() - interval '1 minute'
), known AS (
    SELECT EXISTS (SELECT 1 FROM {SCHEMA}.orders WHERE id = $1) AS found,
           (SELECT as_of FROM {SCHEMA}.catalog_events WHERE id = $3) AS catalogue_as_of
), placed AS (
    INSERT INTO {SCHEMA}.orders (id, user_id, event_id, buyer_name, buyer_email)
    SELECT $1, $2, $3, $4, $5 FROM recent, known
    WHERE NOT known.found AND recent.placed < $6 AND known.catalogue_as_of IS NOT DISTINCT FROM $7 AND $20
    ON CONFLICT (id) DO NOTHING
    RETURNING id
), lines AS (
    INSERT INTO {SCHEMA}.order_items (order_id, ticket_type_id, quantity)
    SELECT placed.id, line.ticket_type_id, line.quantity
    FROM placed, unnest($8::uuid[], $9::int[]) AS line(ticket_type_id, quantity)
), people AS (
    INSERT INTO {SCHEMA}.attendees
        (id, order_id, ticket_type_id, position, name, child_nombre, child_rut, child_fecha_nacimiento)
    SELECT gen_random_uuid(), placed.id, person.*
    FROM placed, unnest($10::uuid[], $11::int[], $12::text[], $13::text[], $14::text[], $15::date[])
        AS person(ticket_type_id, position, name, child_nombre, child_rut, child_fecha_nacimiento)
), announced AS (
    INSERT INTO {SCHEMA}.outbox (id, routing_key, envelope, headers)
    SELECT $16, $17, $18::text::jsonb, $19::text::jsonb FROM placed
)
SELECT EXISTS (SELECT 1 FROM placed) AS placed, known.found, known.catalogue_as_of,
       recent.placed AS recent_orders, recent.oldest_age
FROM recent, known
"""

# The order with its lines and tickets, in the order the API shows them.
_READ = f"""
SELECT o.*,
       ARRAY(SELECT i FROM {SCHEMA}.order_items i WHERE i.order_id = o.id ORDER BY i.ticket_type_id) AS lines,
       ARRAY(SELECT t FROM {SCHEMA}.tickets t WHERE t.order_id = o.id ORDER BY t.issued_at, t.id) AS tickets
FROM {SCHEMA}.orders o WHERE o.id = $1
"""

# Several orders read at once (the requests a batch of decisions woke up), as _READ reads one.
_READ_MANY = _READ.replace("WHERE o.id = $1", "WHERE o.id = ANY($1::uuid[])")

_CATALOGUE = f"SELECT snapshot, as_of FROM {SCHEMA}.catalog_events WHERE id = $1"

# The group-commit lane of order reads (its metrics are labelled with this name).
READ_LANE = "order-reads"
_READ_BATCH_MAX = 64

# Several orders placed together (migration 0006): each as _PLACE places one, in one transaction,
# and the placed ones announced in one outbox row (the batch's envelope, narrowed to them).
_PLACE_MANY = f"""
SELECT out_placed AS placed, out_found AS found, out_catalogue_as_of AS catalogue_as_of,
       out_recent_orders AS recent_orders, out_oldest_age AS oldest_age
FROM {SCHEMA}.place_order_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                                $17, $18, $19, $20, $21, $22)
"""


@dataclass(frozen=True)
class Attendee:
    ticket_type_id: uuid.UUID
    position: int
    name: str
    child_nombre: str | None
    child_rut: str | None
    child_fecha_nacimiento: date | None


@dataclass(frozen=True)
class NewOrder:
    id: uuid.UUID
    user_id: str
    event_id: uuid.UUID
    buyer_name: str
    buyer_email: str
    lines: Sequence[tuple[uuid.UUID, int]]
    attendees: Sequence[Attendee]


@dataclass(frozen=True)
class OrderToPlace:
    """An order to place, with the snapshot it was judged against, the verdict, its item of the
    message that announces it, and its request's headers (for when it is placed alone)."""

    order: NewOrder
    catalogue_as_of: datetime | None
    valid: bool
    announced: PlacedOrder
    headers: dict[str, Any]


@dataclass(frozen=True)
class Placement:
    """What the placing statement found. ``placed``: this call inserted the order."""

    placed: bool
    found: bool
    catalogue_as_of: datetime | None
    recent_orders: int
    oldest_age: float | None


@dataclass(frozen=True)
class _Read:
    """An order read in a batch: its row, or None when there is no such order."""

    row: asyncpg.Record | None


@dataclass(frozen=True)
class CatalogueEntry:
    snapshot: dict[str, Any] | None
    as_of: datetime | None


def narrowed(envelope: Envelope, placements: Sequence[Placement]) -> Envelope:
    """A batch's ``purchase.orders.placed.v1`` (an order per placement, in order) with only the
    orders placed: what ``place_order_batch`` wrote in the outbox. By position: two twins of one
    order in a batch share its id, and only the one placed is announced."""
    orders = [
        order
        for order, placement in zip(envelope.payload["orders"], placements, strict=True)
        if placement.placed
    ]
    return envelope.model_copy(update={"payload": {**envelope.payload, "orders": orders}})


async def _driver_of(connection: AsyncConnection) -> asyncpg.Connection:
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None:
        raise RuntimeError("the pooled connection is closed")
    return driver


@asynccontextmanager
async def _driver(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    async with engine.connect() as connection:
        yield await _driver_of(connection)


class OrderStatements:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # A batch of decisions wakes up to a batch of waiting requests at once, and each reads its
        # order: read alone, they took that many connections at once, past the pool into new
        # connections opened and closed on the spot. The reads waiting share one statement.
        self._reads: GroupCommitLane[uuid.UUID, _Read] = GroupCommitLane(
            READ_LANE, self._read_together, max_batch=_READ_BATCH_MAX
        )

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """One pooled connection for a placement's statements and the send of its outbox row
        (a checkout from SQLAlchemy's pool costs more CPU than the statement)."""
        async with self._engine.connect() as connection:
            yield connection

    async def place(
        self, connection: AsyncConnection, item: OrderToPlace, envelope: Envelope, *, per_minute: int
    ) -> Placement:
        """Place ``item`` with ``envelope`` (announcing it alone) as its outbox row, in one
        statement."""
        order, outbox = item.order, envelope
        people = order.attendees
        arguments = (
            order.id,
            order.user_id,
            order.event_id,
            order.buyer_name,
            order.buyer_email,
            per_minute,
            item.catalogue_as_of,
            [type_id for type_id, _ in order.lines],
            [quantity for _, quantity in order.lines],
            [p.ticket_type_id for p in people],
            [p.position for p in people],
            [p.name for p in people],
            [p.child_nombre for p in people],
            [p.child_rut for p in people],
            [p.child_fecha_nacimiento for p in people],
            outbox.id,
            outbox.routing_key,
            outbox.model_dump_json(),
            json.dumps(item.headers),
            item.valid,
        )
        row = await (await _driver_of(connection)).fetchrow(_PLACE, *arguments)
        assert row is not None  # the statement always answers one row
        return Placement(**dict(row))

    async def place_many(
        self,
        connection: AsyncConnection,
        batch: Sequence[OrderToPlace],
        envelope: Envelope,
        *,
        per_minute: int,
    ) -> list[Placement]:
        """Place each order of ``batch`` as :meth:`place` would, in one transaction and one round
        trip; a placement per order, in order. The caller sorts ``batch`` by order id. The
        orders placed are announced by one outbox row: ``envelope`` (a message with every
        order of the batch) narrowed to them (:func:`narrowed`)."""
        orders = [item.order for item in batch]
        lines = [(position, line) for position, order in enumerate(orders, 1) for line in order.lines]
        people = [(position, p) for position, order in enumerate(orders, 1) for p in order.attendees]
        arguments = (
            [order.id for order in orders],
            [order.user_id for order in orders],
            [order.event_id for order in orders],
            [order.buyer_name for order in orders],
            [order.buyer_email for order in orders],
            per_minute,
            [item.catalogue_as_of for item in batch],
            [item.valid for item in batch],
            [position for position, _ in lines],
            [type_id for _, (type_id, _quantity) in lines],
            [quantity for _, (_type_id, quantity) in lines],
            [position for position, _ in people],
            [p.ticket_type_id for _, p in people],
            [p.position for _, p in people],
            [p.name for _, p in people],
            [p.child_nombre for _, p in people],
            [p.child_rut for _, p in people],
            [p.child_fecha_nacimiento for _, p in people],
            envelope.id,
            envelope.routing_key,
            envelope.model_dump_json(),
            "{}",  # a batch belongs to no one request: no request id
        )
        rows = await (await _driver_of(connection)).fetch(_PLACE_MANY, *arguments)
        return [Placement(**dict(row)) for row in rows]

    async def catalogue(self, connection: AsyncConnection, event_id: uuid.UUID) -> CatalogueEntry:
        row = await (await _driver_of(connection)).fetchrow(_CATALOGUE, event_id)
        if row is None:
            return CatalogueEntry(None, None)
        # SQLAlchemy's dialect registered the JSON codecs on its connections: jsonb comes decoded.
        return CatalogueEntry(row["snapshot"], row["as_of"])

    async def read(self, order_id: uuid.UUID) -> asyncpg.Record | None:
        """The order's row with ``lines`` and ``tickets`` (arrays of their rows), or None. Read
        together with the other reads waiting in this process; alone if their batch failed. A
        read joins a batch that starts after it was asked for, so it sees every commit made
        before it was asked."""
        read = await self._reads.submit(order_id)
        if read is None:  # its batch failed
            return await self._read_alone(order_id)
        return read.row

    async def _read_alone(self, order_id: uuid.UUID) -> asyncpg.Record | None:
        async with _driver(self._engine) as connection:
            row: asyncpg.Record | None = await connection.fetchrow(_READ, order_id)
        return row

    async def _read_together(self, order_ids: Sequence[uuid.UUID]) -> list[_Read]:
        if len(order_ids) == 1:
            return [_Read(await self._read_alone(order_ids[0]))]
        async with _driver(self._engine) as connection:
            rows = await connection.fetch(_READ_MANY, list(set(order_ids)))
        by_id = {row["id"]: row for row in rows}
        return [_Read(by_id.get(order_id)) for order_id in order_ids]

"""The on-sale's messages projected a batch at a time, in a few set-based statements.

During an on-sale the read model receives a message for every order placed, held, refused, paid,
expired, cancelled and issued; one statement per message and per order line made admin-svc's
worker the costliest process of the sale. Here a batch of them is written with one statement per
table (:mod:`admin_svc.adapters.bulk`), with the same merge rules as :mod:`.projection`, the
per-message projectors, which remain the reference.

A statement cannot touch one row twice (``ON CONFLICT DO UPDATE`` refuses to), so the messages of
a batch about the same row are merged in Python first, the way the per-message statements would
merge them one after another, in the batch's order:

- an order's column keeps the first value it is given (``COALESCE``), so the merged row takes, for
  each column, the first value in the batch that is not null, and is then written with the same
  ``COALESCE`` against the stored row: exactly what the statements one by one would have left;
- an order line keeps its first quantity and the first unit price and type name that are not null;
- a ticket keeps the first copy written (``DO NOTHING``), and a ticket revoked by a refund stored
  before it takes that refund's time, as :func:`.projection.tickets_issued` does;
- an admission keeps the earliest entry of its ticket (the first reported among equals) and the
  event of its first report, as :func:`.projection.upsert_admissions` reduces them.

A batch applied here therefore leaves the rows that its messages applied one at a time, in the
same order, would leave; and as every rule is order-independent (the first value of a fact is its
only value), any order of the batch, or of batches, ends in the same read model. Messages of the
kinds not listed here go through their per-message projector, one after another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_svc.adapters.bulk import arrays, insert_arrays, keep_first_value
from admin_svc.adapters.tables import order_lines, orders, refunds, tickets
from admin_svc.service.projection import (
    ORDER_FACTS,
    ORDERS_IN,
    PROJECTORS,
    WITH_LINES,
    admission_facts,
    ticket_row,
    upsert_admissions,
)
from crowdify.contracts import catalog, purchase, validation
from crowdify.contracts import tickets as ticket_contracts
from crowdify.contracts.base import Contract
from crowdify.contracts.common import OrderLine, PricedLine

# A message and when it occurred (its envelope's ``occurred_at``).
Timed = tuple[Any, datetime]
BatchProjector = Callable[[AsyncSession, Sequence[Timed]], Awaitable[None]]
# What one message writes in its order's row: (order_id, event_id, {column: value}).
OrderFacts = tuple[UUID, UUID, dict[str, Any]]


async def _orders(session: AsyncSession, facts: Iterable[OrderFacts]) -> None:
    merged: dict[UUID, dict[str, Any]] = {}
    filled: list[str] = []  # the columns these messages fill in, in a stable order
    for order_id, event_id, values in facts:
        row = merged.get(order_id)
        if row is None:
            # The first message inserts the row: its event_id is the one kept.
            merged[order_id] = {"order_id": order_id, "event_id": event_id, **values}
            filled.extend(name for name in values if name not in filled)
            continue
        for name, value in values.items():
            if row.get(name) is None:  # what COALESCE(earlier, this) leaves
                row[name] = value
    if not merged:
        return
    columns = ("order_id", "event_id", *filled)
    rows = ({name: row.get(name) for name in columns} for row in merged.values())
    statement = insert_arrays(orders, columns, keep_first_value(orders, ["order_id"], filled))
    await session.execute(statement, arrays(rows, columns))


LINE_COLUMNS = ("order_id", "ticket_type_id", "quantity", "unit_price", "ticket_type_name")
# The quantity stays as first inserted; the price and name are filled in once known.
LINES_UPSERT = insert_arrays(
    order_lines,
    LINE_COLUMNS,
    keep_first_value(order_lines, ["order_id", "ticket_type_id"], ["unit_price", "ticket_type_name"]),
)


async def _lines(
    session: AsyncSession, of_orders: Iterable[tuple[UUID, Sequence[OrderLine | PricedLine]]]
) -> None:
    merged: dict[tuple[UUID, UUID], dict[str, Any]] = {}
    for order_id, lines in of_orders:
        for line in lines:
            unit_price, name = (
                (line.unit_price, line.ticket_type_name) if isinstance(line, PricedLine) else (None, None)
            )
            row = merged.get((order_id, line.ticket_type_id))
            if row is None:
                merged[(order_id, line.ticket_type_id)] = {
                    "order_id": order_id,
                    "ticket_type_id": line.ticket_type_id,
                    "quantity": line.quantity,
                    "unit_price": unit_price,
                    "ticket_type_name": name,
                }
                continue
            if row["unit_price"] is None:
                row["unit_price"] = unit_price
            if row["ticket_type_name"] is None:
                row["ticket_type_name"] = name
    if merged:
        await session.execute(LINES_UPSERT, arrays(merged.values(), LINE_COLUMNS))


def _order_batch(kind: type[BaseModel]) -> BatchProjector:
    """The batch projector of a kind of message about orders (or of order in a batch message):
    its facts (the same table as one message at a time, :data:`.projection.ORDER_FACTS`) merged
    per order, then its lines."""
    facts = ORDER_FACTS[kind]

    async def project_batch(session: AsyncSession, batch: Sequence[Timed]) -> None:
        await _orders(session, ((m.order_id, m.event_id, facts(m, at)) for m, at in batch))
        if kind in WITH_LINES:
            await _lines(session, ((m.order_id, m.lines) for m, _ in batch))

    return project_batch


TICKET_COLUMNS = (
    "ticket_id",
    "order_id",
    "event_id",
    "ticket_type_id",
    "ticket_type_name",
    "holder_name",
    "child_nombre",
    "child_rut",
    "issued_at",
    "revoked_at",
)
TICKETS_INSERT = insert_arrays(tickets, TICKET_COLUMNS, "ON CONFLICT (ticket_id) DO NOTHING")


_issued_orders = _order_batch(ticket_contracts.TicketsIssuedV1)


async def tickets_issued(session: AsyncSession, batch: Sequence[Timed]) -> None:
    await _issued_orders(session, batch)
    # A refund that revoked some of these tickets may have come first: the earliest one of the
    # ticket's own order gives its revocation time (as one message at a time).
    order_ids = list({m.order_id for m, _ in batch})
    refunded = await session.execute(
        select(refunds.c.order_id, refunds.c.ticket_ids, refunds.c.refunded_at)
        .where(refunds.c.order_id.in_(order_ids))
        .order_by(refunds.c.refunded_at)
    )
    revoked: dict[tuple[UUID, UUID], datetime] = {}
    for order_id, ticket_ids, refunded_at in refunded:
        for ticket_id in ticket_ids:
            revoked.setdefault((order_id, ticket_id), refunded_at)
    rows: dict[UUID, dict[str, Any]] = {}
    for m, _ in batch:
        for ticket in m.tickets:
            if ticket.id in rows:
                continue  # the first copy is the one DO NOTHING keeps
            rows[ticket.id] = ticket_row(m, ticket, revoked.get((m.order_id, ticket.id)))
    if rows:
        await session.execute(TICKETS_INSERT, arrays(rows.values(), TICKET_COLUMNS))


async def orders_in(session: AsyncSession, batch: Sequence[Timed]) -> None:
    """Messages about several orders (:data:`.projection.ORDERS_IN`): their orders grouped by kind
    (orders placed; held; refused), each group projected as a batch of the per-order messages
    they replaced."""
    by_kind: dict[type[BaseModel], list[Timed]] = {}
    for message, at in batch:
        for order in ORDERS_IN[type(message)](message):
            by_kind.setdefault(type(order), []).append((order, at))
    for kind, of_kind in by_kind.items():
        await _order_batch(kind)(session, of_kind)


async def admitted(session: AsyncSession, batch: Sequence[Timed]) -> None:
    """Admissions of every message in the batch (batches of first entries, or the superseded
    one-ticket messages) in one statement, each ticket reduced to its earliest entry."""
    await upsert_admissions(session, (fact for message, _ in batch for fact in admission_facts(message)))


ORDER_KINDS: tuple[type[Contract], ...] = (
    purchase.OrderPlacedV1,
    catalog.TicketsReservedV1,
    catalog.ReservationRejectedV1,
    catalog.HoldExpiredV1,
    purchase.OrderPaidV1,
    purchase.OrderExpiredV1,
    purchase.OrderCancelledV1,
)
BATCH_PROJECTORS: Mapping[type[Contract], BatchProjector] = {
    **{kind: _order_batch(kind) for kind in ORDER_KINDS},
    **{kind: orders_in for kind in ORDERS_IN},
    ticket_contracts.TicketsIssuedV1: tickets_issued,
    validation.TicketAdmittedV1: admitted,
    validation.TicketsAdmittedV1: admitted,
}


async def project(session: AsyncSession, messages: Sequence[tuple[Contract, datetime]]) -> None:
    """Apply ``messages`` (any kinds, each applied once) to the read model.

    Messages are grouped by kind, each kind in the order given. Moving one kind's messages ahead
    of another's changes nothing (every projection is order-independent, see above); the worker
    already does it, as each kind has its own batches.
    """
    by_kind: dict[type[Contract], list[tuple[Contract, datetime]]] = {}
    for message, at in messages:
        by_kind.setdefault(type(message), []).append((message, at))
    for kind, batch in by_kind.items():
        batch_projector = BATCH_PROJECTORS.get(kind)
        if batch_projector is not None:
            await batch_projector(session, batch)
            continue
        one_at_a_time = PROJECTORS[kind]
        for message, at in batch:
            await one_at_a_time(session, message, at)

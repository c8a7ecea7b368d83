"""Render an order's documents from pdf-svc's own copy, store them, record them, announce them.

:func:`render_order` runs inside the caller's unit of work, under the order's lock: the objects
are written first (under keys that name the new revision, so nothing anyone already points at
changes), then the rows and the outbox message commit together. If storage fails, the
transaction rolls back and nothing is recorded or announced; the retried message writes the same
keys with the same bytes.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import anyio
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import RowMapping

from crowdify.contracts.pdf import RenderedTicket, StoredDocument, TicketsRenderedV1
from crowdify.db import UnitOfWork
from crowdify.messaging.outbox import Outbox
from pdf_svc import metrics
from pdf_svc.adapters.storage import DocumentStore
from pdf_svc.adapters.tables import events, orders, tickets
from pdf_svc.render.document import render_documents
from pdf_svc.render.model import EventDetails, OrderToRender, TicketPage
from pdf_svc.settings import DEFAULT_TIMEZONE

log = logging.getLogger(__name__)


def order_key(event_id: UUID, order_id: UUID, revision: int) -> str:
    return f"events/{event_id}/orders/{order_id}/r{revision}/order.pdf"


def ticket_key(event_id: UUID, order_id: UUID, revision: int, ticket_id: UUID) -> str:
    return f"events/{event_id}/orders/{order_id}/r{revision}/tickets/{ticket_id}.pdf"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Renderer:
    store: DocumentStore
    outbox: Outbox

    async def render_order(self, uow: UnitOfWork, order_id: UUID) -> TicketsRenderedV1 | None:
        """Render the order's valid tickets as revision ``revision + 1``; None (nothing stored,
        nothing announced) when the order is unknown or none of its tickets is valid."""
        order = (await uow.session.execute(select(orders).where(orders.c.id == order_id))).mappings().first()
        if order is None:
            return None
        valid = (
            (
                await uow.session.execute(
                    select(tickets)
                    .where(tickets.c.order_id == order_id, tickets.c.status == "valid")
                    .order_by(tickets.c.position)
                )
            )
            .mappings()
            .all()
        )
        if not valid:
            return None
        to_render = OrderToRender(
            order_id=order_id,
            event=await _event_details(uow, order),
            tickets=tuple(
                TicketPage(
                    ticket_id=row["id"],
                    ticket_type=row["ticket_type"],
                    holder_name=row["holder_name"],
                    child_nombre=row["child_nombre"],
                    qr_payload=row["qr_payload"],
                )
                for row in valid
            ),
        )
        started = time.perf_counter()
        # CPU work in a thread: the consumer's other messages and the broker heartbeats go on.
        documents = await anyio.to_thread.run_sync(render_documents, to_render)
        metrics.RENDER_SECONDS.observe(time.perf_counter() - started)
        metrics.PAGES_RENDERED.inc(2 * len(valid))

        event_id: UUID = order["event_id"]
        revision = int(order["revision"]) + 1
        whole = StoredDocument(
            key=order_key(event_id, order_id, revision),
            sha256=digest(documents.order),
            size=len(documents.order),
            pages=len(valid),
        )
        singles = tuple(
            RenderedTicket(
                ticket_id=ticket_id,
                key=ticket_key(event_id, order_id, revision, ticket_id),
                sha256=digest(data),
                size=len(data),
                pages=1,
            )
            for ticket_id, data in documents.tickets
        )
        started = time.perf_counter()
        await self.store.put_many(
            [
                (whole.key, documents.order, whole.sha256),
                *(
                    (single.key, data, single.sha256)
                    for single, (_, data) in zip(singles, documents.tickets, strict=True)
                ),
            ]
        )
        metrics.STORE_SECONDS.observe(time.perf_counter() - started)

        rendered_at = datetime.now(UTC)
        await uow.session.execute(
            update(orders)
            .where(orders.c.id == order_id)
            .values(
                revision=revision,
                document_key=whole.key,
                document_sha256=whole.sha256,
                document_size=whole.size,
                document_pages=whole.pages,
                rendered_at=rendered_at,
            )
        )
        await uow.session.execute(
            update(tickets)
            .where(tickets.c.id == bindparam("ticket_id"))
            .values(
                document_key=bindparam("key"),
                document_sha256=bindparam("sha256"),
                document_size=bindparam("size"),
                document_pages=bindparam("pages"),
            ),
            [
                {"ticket_id": s.ticket_id, "key": s.key, "sha256": s.sha256, "size": s.size, "pages": s.pages}
                for s in singles
            ],
        )
        message = TicketsRenderedV1(
            order_id=order_id,
            event_id=event_id,
            bucket=self.store.bucket,
            order_document=whole,
            tickets=singles,
            rendered_at=rendered_at,
            revision=revision,
        )
        await self.outbox.add(uow, message)
        log.info("order %s rendered: revision %d, %d tickets", order_id, revision, len(singles))
        return message


async def _event_details(uow: UnitOfWork, order: RowMapping) -> EventDetails:
    """The event as the newest snapshot tells it, else as purchase-svc told it when issuing."""
    snapshot = (
        (await uow.session.execute(select(events).where(events.c.id == order["event_id"]))).mappings().first()
    )
    if snapshot is None:
        return EventDetails(
            name=order["event_name"],
            venue=order["venue"],
            city=None,
            starts_at=order["event_starts_at"],
            timezone=DEFAULT_TIMEZONE,
        )
    return EventDetails(
        name=snapshot["name"],
        venue=snapshot["venue"],
        city=snapshot["city"],
        starts_at=snapshot["starts_at"],
        timezone=snapshot["timezone"] or DEFAULT_TIMEZONE,
    )

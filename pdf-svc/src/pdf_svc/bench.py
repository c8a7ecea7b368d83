"""PDF throughput: ``python -m pdf_svc.bench`` prints pages per second, asserts nothing.

Two shapes of work, each rendered alone and rendered then stored (through the same store,
thread pool and circuit breaker the worker uses): one order of ``--tickets`` tickets, and
``--orders`` orders of one ticket each. A page is a page of any document: an order of n tickets
gives n pages in the order's document plus n single-page ticket documents. Objects go to the
configured bucket under ``bench/<run>/`` and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from minio.deleteobjects import DeleteObject

from pdf_svc.adapters.storage import DocumentStore, document_store
from pdf_svc.render.document import render_documents
from pdf_svc.render.model import EventDetails, OrderToRender, RenderedDocuments, TicketPage
from pdf_svc.service.rendering import digest
from pdf_svc.settings import PdfSettings, get_settings

# A signed code is 197 to 212 characters of the QR alphanumeric set (ADR 0006).
SAMPLE_PAYLOAD = "CF1.K2026A." + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "." + "Q" * 103


def sample_order(tickets: int) -> OrderToRender:
    event = EventDetails(
        name="Festival de la Canción",
        venue="Quinta Vergara",
        city="Viña del Mar",
        starts_at=datetime.now(UTC) + timedelta(days=30),
        timezone="America/Santiago",
    )
    return OrderToRender(
        order_id=uuid.uuid4(),
        event=event,
        tickets=tuple(
            TicketPage(
                ticket_id=uuid.uuid4(),
                ticket_type="General",
                holder_name=f"Asistente Número {n}",
                child_nombre=None,
                qr_payload=SAMPLE_PAYLOAD[:-4] + f"{n % 10000:04d}",
            )
            for n in range(tickets)
        ),
    )


def _pages(documents: RenderedDocuments) -> int:
    return 2 * len(documents.tickets)


async def _store(store: DocumentStore, prefix: str, documents: RenderedDocuments) -> list[str]:
    objects = [(f"{prefix}/order.pdf", documents.order, digest(documents.order))]
    objects += [(f"{prefix}/{ticket_id}.pdf", data, digest(data)) for ticket_id, data in documents.tickets]
    await store.put_many(objects)
    return [key for key, _, _ in objects]


async def _measure(
    orders: Sequence[OrderToRender], store: DocumentStore | None, run: str
) -> tuple[float, int, list[str]]:
    keys: list[str] = []
    pages = 0
    started = time.perf_counter()
    for order in orders:
        documents = await anyio.to_thread.run_sync(render_documents, order)
        pages += _pages(documents)
        if store is not None:
            keys += await _store(store, f"bench/{run}/{order.order_id}", documents)
    return time.perf_counter() - started, pages, keys


async def run(
    *, tickets: int = 500, orders: int = 500, store: bool = True, settings: PdfSettings | None = None
) -> dict[str, Any]:
    """The figures, by name: pages per second for each shape, rendered and rendered + stored."""
    settings = settings or get_settings()
    documents_store = document_store(settings) if store else None
    big = [sample_order(tickets)]
    singles = [sample_order(1) for _ in range(orders)]
    run_id = uuid.uuid4().hex[:12]
    figures: dict[str, Any] = {"tickets_in_big_order": tickets, "single_ticket_orders": orders}
    written: list[str] = []
    try:
        for name, shape in ((f"order_of_{tickets}", big), (f"{orders}_single_ticket_orders", singles)):
            seconds, pages, _ = await _measure(shape, None, run_id)
            figures[f"{name}_render_pages_per_s"] = round(pages / seconds, 1)
            figures[f"{name}_render_seconds"] = round(seconds, 3)
            if documents_store is not None:
                seconds, pages, keys = await _measure(shape, documents_store, run_id)
                written += keys
                figures[f"{name}_render_store_pages_per_s"] = round(pages / seconds, 1)
                figures[f"{name}_render_store_seconds"] = round(seconds, 3)
    finally:
        if documents_store is not None and written:
            _delete(settings, written)
    return figures


def _delete(settings: PdfSettings, keys: list[str]) -> None:
    client = settings.storage.client()
    errors = client.remove_objects(settings.storage.bucket, (DeleteObject(key) for key in keys))
    for error in errors:  # the deletions happen as this is iterated
        print(f"could not delete {error.name}: {error.message}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pdf_svc.bench", description=__doc__)
    parser.add_argument("--tickets", type=int, default=500, help="tickets in the big order")
    parser.add_argument("--orders", type=int, default=500, help="single-ticket orders")
    parser.add_argument("--no-store", action="store_true", help="render only, no object storage")
    args = parser.parse_args(argv)
    figures = asyncio.run(run(tickets=args.tickets, orders=args.orders, store=not args.no_store))
    width = max(len(name) for name in figures)
    for name, value in figures.items():
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()

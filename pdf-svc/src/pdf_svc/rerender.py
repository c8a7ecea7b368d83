"""Render orders again from pdf-svc's own copy: ``python -m pdf_svc.rerender --order <id>``
and/or ``--event <id>`` (every order of the event); both may be repeated.

Each order gets a new revision (new object keys, new ``pdf.tickets.rendered.v1``); orders with
no valid ticket left are skipped. Exit status 1 when a named order is unknown to pdf-svc.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence

from crowdify.contracts.pdf import TicketsRenderedV1
from crowdify.observability import configure_logging
from crowdify.runtime import ServiceResources
from pdf_svc.adapters.storage import document_store
from pdf_svc.adapters.tables import messaging
from pdf_svc.service.rendering import Renderer
from pdf_svc.service.rerendering import UnknownOrder, orders_of_event, rerender_order
from pdf_svc.settings import PdfSettings, get_settings


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m pdf_svc.rerender", description=__doc__)
    parser.add_argument("--order", type=uuid.UUID, action="append", default=[], help="an order id")
    parser.add_argument("--event", type=uuid.UUID, action="append", default=[], help="an event id")
    args = parser.parse_args(argv)
    if not args.order and not args.event:
        parser.error("name at least one --order or --event")
    return args


async def rerender(
    orders: Sequence[uuid.UUID], events: Sequence[uuid.UUID], settings: PdfSettings
) -> tuple[list[TicketsRenderedV1], list[uuid.UUID]]:
    """Render ``orders`` and every order of ``events`` again; returns the messages announced and
    the named orders pdf-svc does not know."""
    resources = ServiceResources.create(settings, messaging)
    await resources.open()
    try:
        renderer = Renderer(document_store(settings), resources.outbox)
        targets = list(dict.fromkeys(orders))
        for event_id in events:
            targets += [o for o in await orders_of_event(resources.uow_factory, event_id) if o not in targets]
        announced: list[TicketsRenderedV1] = []
        unknown: list[uuid.UUID] = []
        for order_id in targets:
            try:
                message = await rerender_order(resources.uow_factory, renderer, order_id)
            except UnknownOrder:
                unknown.append(order_id)
                print(f"order {order_id}: unknown to pdf-svc", file=sys.stderr)
                continue
            if message is None:
                print(f"order {order_id}: no valid tickets, skipped")
            else:
                announced.append(message)
                print(f"order {order_id}: revision {message.revision}, {len(message.tickets)} tickets")
        return announced, unknown
    finally:
        await resources.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = get_settings()
    configure_logging(f"{settings.service_name}-rerender", settings.log_level)
    _, unknown = asyncio.run(rerender(args.order, args.event, settings))
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())

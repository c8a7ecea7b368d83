"""Rendering is idempotent: redeliveries, duplicates under other ids and a crash before commit
all end with the same keys, the same bytes, one set of rows and one announcement."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import pytest

from crowdify.runtime import ServiceResources
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Publish
from pdf_svc.adapters.storage import DocumentStore
from pdf_svc.service.issuing import TicketOfAnotherOrder, accept_issued
from pdf_svc.service.rendering import Renderer
from pdf_svc.settings import PdfSettings
from pdf_svc.worker import Worker
from tests.bus import WORKER_WITHIN, Recorder
from tests.documents import tickets_issued
from tests.rows import handled, order_row, rendered_in_outbox, ticket_rows

pytestmark = pytest.mark.integration
ISSUED = "purchase.tickets.issued.v1"


async def object_digests(store: DocumentStore, keys: list[str]) -> dict[str, str]:
    return {key: hashlib.sha256(await store.read(key)).hexdigest() for key in keys}


async def test_the_same_message_delivered_five_times_renders_once(
    worker: Worker, publish: Publish, bus: Recorder, settings: PdfSettings
) -> None:
    issued = tickets_issued(uuid.uuid4(), 2)
    envelope = await publish(issued)
    for _ in range(4):
        await publish(issued, envelope=envelope)

    await wait_until(
        lambda: handled(settings.events_queue, ISSUED) >= 5,
        within=WORKER_WITHIN,
        message="five deliveries handled",
    )
    assert handled(settings.events_queue, ISSUED, "crowdify_messages_duplicate_total") == 4
    rendered = await bus.wait_rendered(issued.order_id)
    assert len(await rendered_in_outbox(worker.uow_factory, issued.order_id)) == 1
    assert len(await ticket_rows(worker.uow_factory, issued.order_id)) == 2
    order = await order_row(worker.uow_factory, issued.order_id)
    assert order is not None and order["revision"] == 1
    assert order["document_key"] == rendered.order_document.key


async def test_the_same_content_under_five_message_ids_changes_nothing_after_the_first(
    worker: Worker, publish: Publish, bus: Recorder, settings: PdfSettings
) -> None:
    """purchase-svc re-announcing an order (a new message id, the same tickets): one rendering."""
    issued = tickets_issued(uuid.uuid4(), 3)
    for _ in range(5):
        await publish(issued)  # a fresh envelope id each time: the inbox lets each through

    await wait_until(
        lambda: handled(settings.events_queue, ISSUED) >= 5,
        within=WORKER_WITHIN,
        message="five deliveries handled",
    )
    assert handled(settings.events_queue, ISSUED, "crowdify_messages_duplicate_total") == 0
    rendered = await bus.wait_rendered(issued.order_id)
    announced = await rendered_in_outbox(worker.uow_factory, issued.order_id)
    assert len(announced) == 1
    rows = await ticket_rows(worker.uow_factory, issued.order_id)
    assert [row["id"] for row in rows] == [t.id for t in issued.tickets]
    assert {row["document_key"] for row in rows} == {t.key for t in rendered.tickets}
    digests = await object_digests(worker.store, [t.key for t in rendered.tickets])
    assert digests == {t.key: t.sha256 for t in rendered.tickets}


class Crash(Exception):
    pass


async def test_a_crash_after_storing_stores_the_same_objects_when_retried(
    resources: ServiceResources, renderer: Renderer
) -> None:
    issued = tickets_issued(uuid.uuid4(), 2)
    first = None
    with pytest.raises(Crash):
        async with resources.uow_factory() as uow:
            first = await accept_issued(uow, issued, renderer)
            raise Crash  # the process dies before the commit: the objects stay, the rows do not
    assert first is not None
    before = await object_digests(renderer.store, [first.order_document.key, *(t.key for t in first.tickets)])
    assert await order_row(resources.uow_factory, issued.order_id) is None
    assert await rendered_in_outbox(resources.uow_factory, issued.order_id) == []

    async with resources.uow_factory() as uow:
        again = await accept_issued(uow, issued, renderer)
    assert again is not None
    assert again.order_document == first.order_document
    assert again.tickets == first.tickets
    after = await object_digests(renderer.store, [again.order_document.key, *(t.key for t in again.tickets)])
    assert after == before
    assert len(await rendered_in_outbox(resources.uow_factory, issued.order_id)) == 1


async def test_concurrent_duplicates_render_one_set(resources: ServiceResources, renderer: Renderer) -> None:
    """Several workers handling copies of one order at once: one rendering, the rest no-ops."""
    issued = tickets_issued(uuid.uuid4(), 2)

    async def handle() -> object:
        async with resources.uow_factory() as uow:
            return await accept_issued(uow, issued, renderer)

    results = await asyncio.gather(*(handle() for _ in range(6)))
    assert sum(result is not None for result in results) == 1
    assert len(await rendered_in_outbox(resources.uow_factory, issued.order_id)) == 1
    assert len(await ticket_rows(resources.uow_factory, issued.order_id)) == 2


async def test_a_ticket_id_already_in_another_order_is_refused(
    resources: ServiceResources, renderer: Renderer
) -> None:
    issued = tickets_issued(uuid.uuid4(), 1)
    async with resources.uow_factory() as uow:
        await accept_issued(uow, issued, renderer)
    thief = issued.model_copy(update={"order_id": uuid.uuid4()})
    with pytest.raises(TicketOfAnotherOrder):
        async with resources.uow_factory() as uow:
            await accept_issued(uow, thief, renderer)
    rows = await ticket_rows(resources.uow_factory, issued.order_id)
    assert [row["order_id"] for row in rows] == [issued.order_id]

"""Object storage down while tickets are issued: the message fails, nothing is recorded or
announced, the retry tiers bring it back, and once storage is up the documents appear."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crowdify.testing import RabbitNamespace, wait_until
from crowdify.testing.service_under_test import Publish
from pdf_svc.settings import PdfSettings
from pdf_svc.worker import Worker
from tests.bus import Recorder
from tests.conftest import make_settings
from tests.documents import tickets_issued
from tests.rows import handled, order_row
from tests.storage_server import StorageServer

pytestmark = pytest.mark.integration


@pytest.fixture
async def storage() -> AsyncIterator[StorageServer]:
    server = StorageServer(f"pdf-outage-{uuid.uuid4().hex[:8]}")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def settings(infrastructure: dict[str, Any], rabbit: RabbitNamespace, storage: StorageServer) -> PdfSettings:
    return make_settings(infrastructure, rabbit, storage.settings)


# The retry tiers wait 1 s, 5 s, then 30 s: on a busy machine the server can take longer than
# the first two to come back, and the third must still fit.
@pytest.mark.timeout(180)
async def test_documents_appear_once_storage_is_back(
    worker: Worker, publish: Publish, bus: Recorder, storage: StorageServer, settings: PdfSettings
) -> None:
    await storage.stop()
    issued = tickets_issued(uuid.uuid4(), 2)
    await publish(issued)

    failed = "crowdify_messages_failed_total"
    await wait_until(
        lambda: handled(settings.events_queue, "purchase.tickets.issued.v1", failed) >= 1,
        within=20,
        message="the issued message failed while storage is down",
    )
    assert await order_row(worker.uow_factory, issued.order_id) is None
    assert bus.rendered(issued.order_id) == []

    await storage.start()
    rendered = await bus.wait_rendered(issued.order_id, within=90)
    for document in (rendered.order_document, *rendered.tickets):
        data = await worker.store.read(document.key)
        assert hashlib.sha256(data).hexdigest() == document.sha256
    order = await order_row(worker.uow_factory, issued.order_id)
    assert order is not None and order["revision"] == 1

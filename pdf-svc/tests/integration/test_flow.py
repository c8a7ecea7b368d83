"""The whole path through the worker: tickets issued on the bus -> documents in the test bucket ->
``pdf.tickets.rendered.v1`` on the bus -> the API streams them to their owner (and admins only)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

import httpx
import pytest

from crowdify.storage import ObjectStorageSettings
from crowdify.testing.service_under_test import Publish
from pdf_svc.settings import PdfSettings
from pdf_svc.worker import Worker
from tests.bus import Recorder
from tests.documents import event_published, page_count, qr_texts, tickets_issued

pytestmark = pytest.mark.integration


def stored(settings: PdfSettings, key: str) -> bytes:
    response = settings.storage.client().get_object(settings.storage.bucket, key)
    try:
        return bytes(response.read())
    finally:
        response.close()
        response.release_conn()


async def test_issued_tickets_are_rendered_stored_announced_and_served(
    worker: Worker,
    publish: Publish,
    bus: Recorder,
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
    settings: PdfSettings,
) -> None:
    event_id = uuid.uuid4()
    await publish(event_published(event_id))
    issued = tickets_issued(event_id, 3, user_id="buyer-1")
    await publish(issued)

    rendered = await bus.wait_rendered(issued.order_id)
    assert rendered.event_id == event_id
    assert rendered.bucket == settings.storage.bucket
    assert rendered.revision == 1
    assert rendered.order_document.pages == 3
    assert [t.ticket_id for t in rendered.tickets] == [t.id for t in issued.tickets]

    # Claim check: every key names the bytes the message describes.
    whole = stored(settings, rendered.order_document.key)
    assert hashlib.sha256(whole).hexdigest() == rendered.order_document.sha256
    assert len(whole) == rendered.order_document.size
    assert qr_texts(whole) == [t.qr_payload for t in issued.tickets]
    for single in rendered.tickets:
        data = stored(settings, single.key)
        assert hashlib.sha256(data).hexdigest() == single.sha256

    owner = bearer(sub="buyer-1")
    response = await client.get(f"/api/v1/purchases/{issued.order_id}/pdf", headers=owner)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    assert response.content == whole
    assert page_count(response.content) == 3

    first = issued.tickets[0]
    response = await client.get(f"/api/v1/tickets/{first.id}/pdf", headers=owner)
    assert response.status_code == 200, response.text
    assert page_count(response.content) == 1
    assert qr_texts(response.content) == [first.qr_payload]
    assert hashlib.sha256(response.content).hexdigest() == rendered.tickets[0].sha256


async def test_only_the_owner_and_admins_get_the_documents(
    worker: Worker,
    publish: Publish,
    bus: Recorder,
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
) -> None:
    issued = tickets_issued(uuid.uuid4(), 1, user_id="buyer-1")
    await publish(issued)
    await bus.wait_rendered(issued.order_id)
    paths = [f"/api/v1/purchases/{issued.order_id}/pdf", f"/api/v1/tickets/{issued.tickets[0].id}/pdf"]
    for path in paths:
        assert (await client.get(path, headers=bearer(sub="buyer-1"))).status_code == 200
        assert (await client.get(path, headers=bearer("admin", sub="admin-7"))).status_code == 200

        # Another user, staff that is not admin: exactly what an unknown id gets.
        for headers in (bearer(sub="buyer-2"), bearer("coordinator", sub="coord-1")):
            other = await client.get(path, headers=headers)
            assert other.status_code == 404
            assert other.headers["content-type"] == "application/problem+json"
            assert other.json()["code"] == "not_found"

        anonymous = await client.get(path)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "unauthorized"
        bad_token = await client.get(path, headers={"Authorization": "Bearer not-a-jwt"})
        assert bad_token.status_code == 401


async def test_an_order_without_a_user_id_is_for_admins_only(
    worker: Worker,
    publish: Publish,
    bus: Recorder,
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
) -> None:
    issued = tickets_issued(uuid.uuid4(), 1, user_id=None)
    await publish(issued)
    await bus.wait_rendered(issued.order_id)
    path = f"/api/v1/purchases/{issued.order_id}/pdf"
    assert (await client.get(path, headers=bearer(sub="buyer-1"))).status_code == 404
    assert (await client.get(path, headers=bearer("admin", sub="admin-7"))).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/not-a-uuid/pdf",
        "/api/v1/purchases/12345/pdf",
        "/api/v1/tickets/%00%ff/pdf",
        f"/api/v1/tickets/{uuid.uuid4()}/pdf",
        f"/api/v1/purchases/{uuid.uuid4()}/pdf",
    ],
)
async def test_malformed_or_unknown_ids_are_404_problems(
    client: httpx.AsyncClient, bearer: Callable[..., dict[str, str]], path: str
) -> None:
    for headers in (bearer(sub="buyer-1"), bearer("admin", sub="admin-7")):
        response = await client.get(path, headers=headers)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_other_methods_are_405_problems(
    client: httpx.AsyncClient, bearer: Callable[..., dict[str, str]]
) -> None:
    response = await client.post(f"/api/v1/tickets/{uuid.uuid4()}/pdf", headers=bearer())
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_storage_outage_is_a_503_problem_for_readers(
    worker: Worker,
    publish: Publish,
    bus: Recorder,
    bearer: Callable[..., dict[str, str]],
    settings: PdfSettings,
) -> None:
    from pdf_svc.main import create_app

    issued = tickets_issued(uuid.uuid4(), 1)
    await publish(issued)
    await bus.wait_rendered(issued.order_id)
    # The API of a process whose storage endpoint refuses connections (nothing listens there).
    down = settings.model_copy(
        update={"storage": ObjectStorageSettings(endpoint="127.0.0.1:9", bucket="pdf-outage")}
    )
    app = create_app(down)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pdf-svc") as http,
    ):
        response = await http.get(f"/api/v1/purchases/{issued.order_id}/pdf", headers=bearer())
    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"

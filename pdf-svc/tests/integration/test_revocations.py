"""Refunded and cancelled tickets are no longer served (410 with a clear code); a partial refund
renders the order again without the refunded tickets; refunds that overtake their tickets and
cancellations racing with issuing still revoke them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from crowdify.contracts.catalog import EventCancelledV1
from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderRefundedV1
from crowdify.contracts.tickets import TicketsIssuedV1
from crowdify.runtime import ServiceResources
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Publish
from pdf_svc.service.events import remember_event
from pdf_svc.service.issuing import accept_issued
from pdf_svc.service.rendering import Renderer
from pdf_svc.service.revocations import revoke_event
from pdf_svc.worker import Worker
from tests.bus import WORKER_WITHIN, Recorder
from tests.documents import event_published, page_count, qr_texts, tickets_issued
from tests.rows import early_revocation_orders, rendered_in_outbox, ticket_rows

pytestmark = pytest.mark.integration


def refund(issued: TicketsIssuedV1, ticket_ids: tuple[uuid.UUID, ...] = (), *, full: bool) -> OrderRefundedV1:
    return OrderRefundedV1(
        order_id=issued.order_id,
        event_id=issued.event_id,
        refund_id=uuid.uuid4().hex,
        lines=(OrderLine(ticket_type_id=issued.tickets[0].ticket_type_id, quantity=len(ticket_ids) or 1),),
        ticket_ids=ticket_ids,
        full=full,
    )


async def test_a_partial_refund_revokes_those_tickets_and_renders_the_rest_again(
    worker: Worker,
    publish: Publish,
    bus: Recorder,
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
) -> None:
    issued = tickets_issued(uuid.uuid4(), 3)
    await publish(issued)
    first = await bus.wait_rendered(issued.order_id)
    refunded = issued.tickets[1]
    await publish(refund(issued, (refunded.id,), full=False))

    second = await bus.wait_rendered(issued.order_id, revision=2)
    kept = [issued.tickets[0], issued.tickets[2]]
    assert [t.ticket_id for t in second.tickets] == [t.id for t in kept]
    assert second.order_document.key != first.order_document.key
    owner = bearer(sub="buyer-1")

    response = await client.get(f"/api/v1/purchases/{issued.order_id}/pdf", headers=owner)
    assert response.status_code == 200
    assert page_count(response.content) == 2
    assert qr_texts(response.content) == [t.qr_payload for t in kept]

    gone = await client.get(f"/api/v1/tickets/{refunded.id}/pdf", headers=owner)
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["code"] == "ticket_revoked"
    assert (await client.get(f"/api/v1/tickets/{kept[0].id}/pdf", headers=owner)).status_code == 200
    # Another user still learns nothing, revoked or not.
    assert (
        await client.get(f"/api/v1/tickets/{refunded.id}/pdf", headers=bearer(sub="buyer-2"))
    ).status_code == 404


async def test_a_full_refund_revokes_the_whole_order(
    worker: Worker,
    publish: Publish,
    bus: Recorder,
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
) -> None:
    issued = tickets_issued(uuid.uuid4(), 2)
    await publish(issued)
    await bus.wait_rendered(issued.order_id)
    await publish(refund(issued, full=True))

    path = f"/api/v1/purchases/{issued.order_id}/pdf"

    async def revoked() -> bool:
        return (await client.get(path, headers=bearer(sub="buyer-1"))).status_code == 410

    await wait_until(revoked, within=WORKER_WITHIN, message="order document revoked")
    response = await client.get(path, headers=bearer("admin", sub="admin-1"))
    assert response.json()["code"] == "order_revoked"
    for ticket in issued.tickets:
        assert (await client.get(f"/api/v1/tickets/{ticket.id}/pdf", headers=bearer())).status_code == 410
    assert len(await rendered_in_outbox(worker.uow_factory, issued.order_id)) == 1  # nothing re-rendered


async def test_a_cancelled_event_revokes_its_tickets(
    worker: Worker,
    publish: Publish,
    bus: Recorder,
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
) -> None:
    event_id = uuid.uuid4()
    await publish(event_published(event_id))
    issued = tickets_issued(event_id, 1)
    await publish(issued)
    await bus.wait_rendered(issued.order_id)
    await publish(
        EventCancelledV1(event=event_published(event_id, status="cancelled").event, reason="lluvia")
    )

    async def revoked() -> bool:
        response = await client.get(f"/api/v1/tickets/{issued.tickets[0].id}/pdf", headers=bearer())
        return response.status_code == 410

    await wait_until(revoked, within=WORKER_WITHIN, message="ticket revoked by the cancellation")
    response = await client.get(f"/api/v1/purchases/{issued.order_id}/pdf", headers=bearer())
    assert response.status_code == 410


async def test_a_refund_that_overtakes_its_tickets_revokes_them_on_arrival(
    worker: Worker,
    publish: Publish,
    client: httpx.AsyncClient,
    bearer: Callable[..., dict[str, str]],
) -> None:
    issued = tickets_issued(uuid.uuid4(), 2)
    await publish(refund(issued, (issued.tickets[0].id,), full=False))
    partial = tickets_issued(uuid.uuid4(), 1)
    await publish(refund(partial, full=True))

    # The worker handles several messages at once: the refunds must have been taken in before the
    # tickets are sent, or the tickets could be handled first and nothing would overtake anything.
    async def refunds_recorded() -> bool:
        recorded = await early_revocation_orders(worker.uow_factory, issued.order_id, partial.order_id)
        return recorded == {issued.order_id, partial.order_id}

    await wait_until(
        refunds_recorded, within=WORKER_WITHIN, message="the refunds recorded ahead of their tickets"
    )
    await publish(issued)
    await publish(partial)

    async def both_handled() -> bool:
        rows = await ticket_rows(worker.uow_factory, issued.order_id)
        return len(rows) == 2 and bool(await ticket_rows(worker.uow_factory, partial.order_id))

    await wait_until(both_handled, within=WORKER_WITHIN, message="tickets recorded")
    rows = await ticket_rows(worker.uow_factory, issued.order_id)
    assert [row["status"] for row in rows] == ["revoked", "valid"]
    announced = await rendered_in_outbox(worker.uow_factory, issued.order_id)
    assert [t["ticket_id"] for t in announced[0]["payload"]["tickets"]] == [str(issued.tickets[1].id)]
    # Every ticket refunded before it arrived: nothing rendered, nothing announced.
    assert [row["status"] for row in await ticket_rows(worker.uow_factory, partial.order_id)] == ["revoked"]
    assert await rendered_in_outbox(worker.uow_factory, partial.order_id) == []
    response = await client.get(f"/api/v1/purchases/{partial.order_id}/pdf", headers=bearer())
    assert response.status_code == 410


async def test_a_cancellation_racing_with_issuing_leaves_no_valid_ticket(
    resources: ServiceResources, renderer: Renderer
) -> None:
    """However the cancellation and the orders interleave, every ticket ends up revoked."""
    event_id = uuid.uuid4()
    async with resources.uow_factory() as uow:
        await remember_event(uow, event_published(event_id).event, datetime.now(UTC))
    orders = [tickets_issued(event_id, 1) for _ in range(8)]

    async def issue(message: TicketsIssuedV1) -> None:
        async with resources.uow_factory() as uow:
            await accept_issued(uow, message, renderer)

    async def cancel() -> None:
        async with resources.uow_factory() as uow:
            await remember_event(uow, event_published(event_id, status="cancelled").event, datetime.now(UTC))
            await revoke_event(uow, event_id, datetime.now(UTC))

    await asyncio.gather(
        *(issue(message) for message in orders[:4]), cancel(), *(issue(m) for m in orders[4:])
    )
    statuses = [
        row["status"]
        for message in orders
        for row in await ticket_rows(resources.uow_factory, message.order_id)
    ]
    assert statuses == ["revoked"] * 8

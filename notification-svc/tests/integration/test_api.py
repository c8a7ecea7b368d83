"""The notifications API: admins list an order's emails; its owner (or an admin) has the
tickets email sent again; everything else is a problem+json 401/403/404/409/422."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from crowdify.testing import wait_until
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from crowdify.testing.service_under_test import Publish, StartWorker
from notification_svc.adapters.tables import emails
from notification_svc.worker import Worker
from tests.orders import Order, Shop

PROBLEM = "application/problem+json"
Bearer = Callable[..., dict[str, str]]


async def _bought(worker: Worker, shop: Shop, mailbox: Mailbox, *, user_id: str = "buyer-1") -> Order:
    order = shop.order(user_id=user_id)
    await shop.buy(order)
    await mailbox.wait_for(order.buyer_email)
    return order


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status
    return body


async def test_admins_list_the_emails_of_an_order(
    worker: Worker, shop: Shop, publish: Publish, mailbox: Mailbox, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    order = await _bought(worker, shop, mailbox)
    await publish(shop.refunded(order, tickets=1))
    await mailbox.wait_for(order.buyer_email, count=2)

    async def both_sent() -> dict[str, Any] | None:
        page = await client.get(f"/api/v1/notifications?order_id={order.order_id}", headers=bearer("admin"))
        body: dict[str, Any] = page.json()
        return body if [i["status"] for i in body["items"]] == ["sent", "sent"] else None

    body = await wait_until(both_sent, message="both emails listed as sent")
    assert (body["page"], body["page_size"], body["total"]) == (1, 20, 2)
    assert sorted(i["kind"] for i in body["items"]) == ["refund", "tickets"]
    assert {i["to"] for i in body["items"]} == {order.buyer_email}
    assert all(i["sent_at"] and i["order_id"] == str(order.order_id) for i in body["items"])
    # One ticket of two refunded: the tickets email can still go again; a refund email never does.
    assert {i["kind"]: i["resendable"] for i in body["items"]} == {"tickets": True, "refund": False}

    first = await client.get(
        f"/api/v1/notifications?order_id={order.order_id}&page=2&page_size=1", headers=bearer("admin")
    )
    assert (first.json()["total"], len(first.json()["items"])) == (2, 1)
    none = await client.get(f"/api/v1/notifications?order_id={uuid.uuid4()}", headers=bearer("admin"))
    assert none.json() == {"items": [], "page": 1, "page_size": 20, "total": 0}


async def test_listing_refuses_everyone_but_admins_and_bad_queries(
    client: httpx.AsyncClient, bearer: Bearer
) -> None:
    _problem(await client.get("/api/v1/notifications"), 401, "unauthorized")
    _problem(
        await client.get("/api/v1/notifications", headers={"Authorization": "Bearer nope"}),
        401,
        "unauthorized",
    )
    for role in ("user", "coordinator", "scanner"):
        _problem(await client.get("/api/v1/notifications", headers=bearer(role)), 403, "forbidden")
    for query in ("order_id=not-a-uuid", "page_size=101", "page=0"):
        body = _problem(
            await client.get(f"/api/v1/notifications?{query}", headers=bearer("admin")),
            422,
            "validation_error",
        )
        assert body["errors"]


async def test_the_owner_has_the_tickets_sent_again(
    start_worker: StartWorker, shop: Shop, mailbox: Mailbox, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    owner = f"owner-{uuid.uuid4()}"
    # A worker that sends only when its consumer queues something (or the test wakes it), so the
    # resends below stay queued until the test says so.
    idle = await start_worker(send_poll_seconds=3600)
    order = await _bought(idle, shop, mailbox, user_id=owner)
    resend = {"order_id": str(order.order_id)}
    answer = await client.post("/api/v1/notifications/resend", json=resend, headers=bearer(sub=owner))
    assert answer.status_code == 202, answer.text
    queued = answer.json()
    assert (queued["kind"], queued["status"], queued["to"]) == ("tickets", "pending", order.buyer_email)
    # Asked again before it went: the same email, not another one.
    again = await client.post("/api/v1/notifications/resend", json=resend, headers=bearer(sub=owner))
    assert (again.status_code, again.json()["id"]) == (202, queued["id"])

    idle.sender.wake()
    found = await mailbox.wait_for(order.buyer_email, count=2)
    assert all(m["attachments"] for m in found)
    assert len({m["messageId"] for m in found}) == 2  # a new email, not the first one repeated

    as_admin = await client.post("/api/v1/notifications/resend", json=resend, headers=bearer("admin", "boss"))
    assert as_admin.status_code == 202 and as_admin.json()["id"] != queued["id"]
    idle.sender.wake()
    await mailbox.wait_for(order.buyer_email, count=3)


async def test_resend_with_an_idempotency_key_queues_once(
    worker: Worker, shop: Shop, mailbox: Mailbox, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    order = await _bought(worker, shop, mailbox)
    headers = {**bearer(), "Idempotency-Key": str(uuid.uuid4())}
    body = {"order_id": str(order.order_id)}
    first = await client.post("/api/v1/notifications/resend", json=body, headers=headers)
    await mailbox.wait_for(order.buyer_email, count=2)
    replay = await client.post("/api/v1/notifications/resend", json=body, headers=headers)
    assert replay.status_code == 202 and replay.json()["id"] == first.json()["id"]
    assert replay.headers.get("Idempotent-Replayed") == "true"
    other = await client.post(
        "/api/v1/notifications/resend", json={"order_id": str(uuid.uuid4())}, headers=headers
    )
    _problem(other, 409, "idempotency_key_reused")
    async with worker.uow_factory() as uow:
        rows = (
            await uow.session.execute(select(emails.c.id).where(emails.c.order_id == order.order_id))
        ).all()
    assert len(rows) == 2


async def test_resend_refuses_others_unknown_revoked_and_bad_bodies(
    worker: Worker, shop: Shop, publish: Publish, mailbox: Mailbox, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    order = await _bought(worker, shop, mailbox, user_id="buyer-1")
    url = "/api/v1/notifications/resend"
    body = {"order_id": str(order.order_id)}
    _problem(await client.post(url, json=body), 401, "unauthorized")
    _problem(await client.post(url, json=body, headers=bearer(sub="someone-else")), 404, "not_found")
    _problem(
        await client.post(url, json={"order_id": str(uuid.uuid4())}, headers=bearer("admin")),
        404,
        "not_found",
    )
    for bad in ({}, {"order_id": "not-a-uuid"}, {"order_id": str(order.order_id), "extra": 1}):
        _problem(await client.post(url, json=bad, headers=bearer()), 422, "validation_error")
    _problem(
        await client.post(
            url, content=b"{not json", headers={**bearer(), "content-type": "application/json"}
        ),
        422,
        "validation_error",
    )

    await publish(shop.refunded(order))  # every ticket refunded: nothing left to send

    async def refund_recorded() -> bool:
        async with worker.uow_factory() as uow:
            found = await uow.session.execute(
                select(emails.c.id).where(emails.c.order_id == order.order_id, emails.c.kind == "refund")
            )
            return found.first() is not None

    await wait_until(refund_recorded, message="the refund recorded")
    _problem(await client.post(url, json=body, headers=bearer()), 409, "tickets_revoked")
    listed = await client.get(f"/api/v1/notifications?order_id={order.order_id}", headers=bearer("admin"))
    # The log offers no resend either.
    assert {i["kind"]: i["resendable"] for i in listed.json()["items"]} == {"tickets": False, "refund": False}

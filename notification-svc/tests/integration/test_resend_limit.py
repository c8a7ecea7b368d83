"""Sending the tickets again is capped per order per day, for its owner and admins alike, and a
hostile buyer name reaches the real SMTP sink as one recipient with a plain name."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx

from crowdify.testing import wait_until
from crowdify.testing.inputs import unguarded_inputs
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from notification_svc.main import create_app
from notification_svc.worker import Worker
from tests.orders import Shop

Bearer = Callable[..., dict[str, str]]


def test_every_string_and_integer_of_the_api_uses_the_shared_input_types(settings) -> None:
    assert unguarded_inputs(create_app(settings)) == []


async def test_resends_stop_at_the_daily_cap_with_a_retry_after(
    worker: Worker, shop: Shop, mailbox: Mailbox, client: httpx.AsyncClient, bearer: Bearer, settings
) -> None:
    owner = f"owner-{uuid.uuid4()}"
    order = shop.order(user_id=owner)
    await shop.buy(order)
    await mailbox.wait_for(order.buyer_email)
    resend = {"order_id": str(order.order_id)}
    cap = settings.resends_per_order_per_day
    assert cap == 3

    async def all_sent(count: int) -> bool:
        listed = await client.get(f"/api/v1/notifications?order_id={order.order_id}", headers=bearer("admin"))
        statuses = [item["status"] for item in listed.json()["items"]]
        return statuses == ["sent"] * count

    for sent in range(cap):
        answer = await client.post("/api/v1/notifications/resend", json=resend, headers=bearer(sub=owner))
        assert answer.status_code == 202, answer.text
        # Recorded as sent (not only in the sink): a resend while one is pending returns that one.
        await wait_until(lambda n=sent: all_sent(n + 2), message=f"resend {sent + 1} sent")

    for headers in (bearer(sub=owner), bearer("admin", "boss")):
        refused = await client.post("/api/v1/notifications/resend", json=resend, headers=headers)
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "resend_limit"
        assert 0 < int(refused.headers["retry-after"]) <= 24 * 3600
    assert len(await mailbox.to(order.buyer_email)) == cap + 1


async def test_a_hostile_buyer_name_is_one_recipient_in_the_real_sink(
    worker: Worker, shop: Shop, mailbox: Mailbox
) -> None:
    order = shop.order()
    order.buyer_name = "Ana, <otro@evil.example>, Soporte " * 5 + "x" * 80
    await shop.buy(order)
    [message] = await mailbox.wait_for(order.buyer_email)
    assert [r["address"] for r in message["to"]] == [order.buyer_email]
    assert "evil" not in message["headers"]["to"]

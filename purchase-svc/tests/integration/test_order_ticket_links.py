"""A paid order's tickets link their PDFs, exactly as ``/api/v1/tickets`` does."""

from __future__ import annotations

import uuid

import httpx

from purchase_svc.main import create_app
from tests.integration.payments_fixtures import (
    PaymentsEnv,
    mp_emulator_url,
    payments_database,
    payments_env,
    payments_rabbit,
    payments_settings,
)

__all__ = ["mp_emulator_url", "payments_database", "payments_env", "payments_rabbit", "payments_settings"]


async def test_a_paid_orders_tickets_carry_the_pdf_url_the_tickets_api_gives(
    payments_env: PaymentsEnv,
) -> None:
    env = payments_env
    owner = f"owner-{uuid.uuid4()}"
    order_id, preference_id = await env.create_order(quantity=2, unit_price=10000, user_id=owner)
    await env.control.pay(preference_id, "approved")
    await env.wait_status(order_id, "paid")

    app = create_app(env.settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://purchase-svc") as http,
    ):
        order = (await http.get(f"/api/v1/purchases/{order_id}", headers=env.bearer(sub=owner))).json()
        listed = (await http.get("/api/v1/purchases", headers=env.bearer(sub=owner))).json()
        tickets = (await http.get("/api/v1/tickets", headers=env.bearer(sub=owner))).json()

    links = {t["id"]: t["pdf_url"] for t in order["tickets"]}
    assert len(links) == 2
    assert links == {t["id"]: f"/api/v1/tickets/{t['id']}/pdf" for t in order["tickets"]}
    assert links == {t["id"]: t["pdf_url"] for t in tickets["items"]}
    [same_order] = [o for o in listed["items"] if o["id"] == str(order_id)]
    assert {t["id"]: t["pdf_url"] for t in same_order["tickets"]} == links

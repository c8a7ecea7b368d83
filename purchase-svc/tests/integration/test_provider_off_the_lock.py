"""No Mercado Pago call while an order's row is locked (ADR 0017): while the worker waits for a
slow provider to make the payment link, the order's row stays free for a buyer's cancel, a
payment notification or an expiry."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crowdify.db import create_engine
from crowdify.testing import wait_until
from purchase_svc.settings import PurchaseSettings
from tests.integration.test_order_saga import order_body

LATENCY_SECONDS = 2.0
POLL_SECONDS = 0.05
# The lock the worker takes to record the link lasts a few milliseconds; the call took seconds.
LONGEST_TOLERATED_STREAK = 3
LOCK_NOT_AVAILABLE = "55P03"
PROBE = text("SELECT status FROM orders WHERE id = :id FOR UPDATE NOWAIT")


async def test_the_order_row_is_not_locked_while_mercado_pago_makes_the_link(
    platform, client, bearer, event_svc, emulator_url, settings: PurchaseSettings
):
    sale = await event_svc.on_sale()
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    async with httpx.AsyncClient(base_url=emulator_url) as mp:
        await mp.post("/__emulator/outage", json={"enabled": False, "latency_seconds": LATENCY_SECONDS})
        try:
            placed = await client.post(
                "/api/v1/purchases", params={"wait": 0}, json=order_body(sale), headers=bearer()
            )
            assert placed.status_code == 202
            order_id = uuid.UUID(placed.json()["id"])
            polls = streak = longest = 0

            async def decided() -> bool:
                nonlocal polls, streak, longest
                polls += 1
                try:
                    async with engine.begin() as conn:
                        status = (await conn.execute(PROBE, {"id": order_id})).scalar_one()
                    streak = 0
                except DBAPIError as exc:
                    if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                        raise
                    streak += 1
                    longest = max(longest, streak)
                    return False
                return status != "pending"

            await wait_until(decided, within=30, interval=POLL_SECONDS, message="the order decided")
        finally:
            await mp.post("/__emulator/outage", json={"enabled": False, "latency_seconds": 0})
            await engine.dispose()
    # The row was probed all through the slow call, and never found locked for long.
    assert polls >= LATENCY_SECONDS / POLL_SECONDS / 2
    assert longest < LONGEST_TOLERATED_STREAK, f"the order was locked for {longest} probes in a row"
    read = await client.get(f"/api/v1/purchases/{order_id}", headers=bearer())
    assert read.json()["status"] == "awaiting_payment"

"""Buyers as the fault tests drive them: they order through the gateway, pay on the Mercado Pago
emulator, and retry like a real client when the platform is having a bad moment (same
Idempotency-Key, backing off), never giving up before the test's deadline."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from crowdify.auth import issue_backend_token

RETRYABLE = {409, 429, 500, 502, 503, 504}
# awaiting_payment is the one waiting state; everything else here is where an order ends.
TERMINAL = {"paid", "rejected", "expired", "cancelled", "refunded", "partially_refunded"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token(secret: str, role: str, subject: str, email: str | None = None) -> str:
    return issue_backend_token(secret, subject=subject, role=role, email=email, ttl_seconds=3 * 3600)


@dataclass
class Shopper:
    number: int
    run_id: str
    secret: str
    quantity: int
    # "pay", "reject" (card declined), "abandon" (never pays: the hold expires), or "late" (came
    # to pay after the hold and the payment link had expired).
    intent: str
    subject: str = field(default_factory=lambda: f"chaos-{uuid.uuid4()}")
    order_id: str | None = None
    first_status: str | None = None
    answer_seconds: float | None = None
    retries: int = 0

    @property
    def email(self) -> str:
        return f"buyer{self.number}.{self.run_id}@example.com"

    @property
    def token(self) -> str:
        return token(self.secret, "user", self.subject, self.email)


async def call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    deadline: float,
    shopper: Shopper | None = None,
    **kw: Any,
) -> httpx.Response:
    """One request, repeated on transport errors and retryable answers until ``deadline``."""
    delay = 0.2
    while True:
        try:
            response = await client.request(method, url, **kw)
            if response.status_code not in RETRYABLE:
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {url} kept failing until the deadline")
        if shopper is not None:
            shopper.retries += 1
        await asyncio.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 3.0)


async def shop(
    shopper: Shopper,
    gateway: httpx.AsyncClient,
    mp: httpx.AsyncClient,
    event_id: str,
    type_id: str,
    deadline: float,
) -> None:
    headers = {**bearer(shopper.token), "Idempotency-Key": f"chaos-order-{shopper.subject}"}
    body = {
        "event_id": event_id,
        "buyer": {"name": f"Comprador {shopper.number}", "email": shopper.email},
        "items": [{"ticket_type_id": type_id, "quantity": shopper.quantity}],
    }
    started = time.monotonic()
    placed = await call(
        gateway,
        "POST",
        "/api/v1/purchases",
        deadline,
        shopper,
        params={"wait": 10},
        json=body,
        headers=headers,
    )
    # 201 decided within the wait, 202 still pending (asked again below), 200 a retry that found
    # the order its lost first attempt had created.
    assert placed.status_code in (200, 201, 202), placed.text
    order = placed.json()
    shopper.order_id = order["id"]
    while order["status"] == "pending":  # not decided within the wait: ask again, as the web app does
        await asyncio.sleep(0.5)
        read = await call(
            gateway,
            "GET",
            f"/api/v1/purchases/{shopper.order_id}",
            deadline,
            shopper,
            headers=bearer(shopper.token),
        )
        assert read.status_code == 200, read.text
        order = read.json()
    shopper.answer_seconds = time.monotonic() - started
    shopper.first_status = order["status"]
    if order["status"] != "awaiting_payment" or shopper.intent == "abandon":
        return
    preference = order["payment_link"].split("pref_id=")[1]
    status = "approved" if shopper.intent == "pay" else "rejected"
    paid = await call(
        mp, "POST", f"/__emulator/preferences/{preference}/pay", deadline, shopper, json={"status": status}
    )
    if paid.status_code == 400 and paid.json().get("error") == "preference_expired":
        # The platform's trouble outlasted the hold: the buyer is too late, and the order expires.
        shopper.intent = "late"
        return
    assert paid.status_code == 200, paid.text

"""Webhook delivery: builds Mercado Pago notifications, sends them in the background, records answers.

Format A (Webhooks, docs/integrations.md 1.5): ``POST {notification_url}`` with ``data.id`` and
``type=payment`` added to its query, a JSON body, ``x-request-id`` and a signed ``x-signature``.
Format B (legacy IPN): ``?topic=payment&id=…`` and a signature nobody can verify.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from mp_emulator.clock import mp_time, now
from mp_emulator.knobs import Knobs
from mp_emulator.resources import Payment
from mp_emulator.settings import EmulatorSettings
from mp_emulator.signing import signature_header

RESPONSE_BODY_LIMIT = 4000


@dataclass(frozen=True)
class Notification:
    """One event about a payment; its deliveries (duplicates, retries) share the body id."""

    id: int
    payment_id: int
    action: str  # payment.created | payment.updated
    url: str
    created: str | None


@dataclass
class Delivery:
    id: int
    notification: Notification
    format: str  # webhook | ipn
    url: str
    body: dict[str, Any]
    data_id: str
    request_id: str | None
    signed_id: str  # the data.id that goes into the signature manifest
    attempt: int = 1
    # scheduled -> sending -> delivered (2xx) | rejected (another status) | failed (no answer)
    state: str = "scheduled"
    scheduled_at: str | None = field(default_factory=lambda: mp_time(now()))
    sent_at: str | None = None
    answered_at: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status_code: int | None = None
    response_body: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "notification_id": self.notification.id,
            "payment_id": self.notification.payment_id,
            "action": self.notification.action,
            "format": self.format,
            "url": self.url,
            "attempt": self.attempt,
            "state": self.state,
            "scheduled_at": self.scheduled_at,
            "sent_at": self.sent_at,
            "answered_at": self.answered_at,
            "request": {"headers": self.headers, "body": self.body},
            "response": None
            if self.status_code is None
            else {"status_code": self.status_code, "body": self.response_body},
            "error": self.error,
        }


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` plus ``params``; its own query string is kept as it was written."""
    parts = urlsplit(url)
    extra = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


class Notifier:
    def __init__(self, settings: EmulatorSettings, knobs: Knobs) -> None:
        self._settings = settings
        self.knobs = knobs
        self.deliveries: list[Delivery] = []
        self._last: dict[int, Notification] = {}  # payment id -> its latest notification
        self._notification_ids = itertools.count(120_000_000_001)
        self._delivery_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def reset(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.deliveries.clear()
        self._last.clear()

    async def aclose(self) -> None:
        self.reset()
        if self._client is not None:
            await self._client.aclose()

    def last(self, payment_id: int) -> Notification | None:
        return self._last.get(payment_id)

    def notify(self, payment: Payment, actions: list[str], knobs: Knobs) -> list[Delivery]:
        """Schedule ``actions`` (in event order) about ``payment``; returns the scheduled deliveries."""
        url = payment.preference.body.get("notification_url")
        if not url:
            return []
        events = [
            Notification(next(self._notification_ids), payment.id, action, url, mp_time(now()))
            for action in actions
        ]
        self._last[payment.id] = events[-1]
        return self.deliver(list(reversed(events)) if knobs.reorder else events, knobs)

    def deliver(self, events: list[Notification], knobs: Knobs) -> list[Delivery]:
        formats = ["webhook", "ipn"] if knobs.notification_format == "both" else [knobs.notification_format]
        batch = [
            self._delivery(event, form, knobs)
            for event in events
            for _ in range(knobs.duplicates)
            for form in formats
        ]
        self.deliveries.extend(batch)
        self._spawn(self._run(batch, knobs))
        return batch

    def _delivery(self, event: Notification, form: str, knobs: Knobs) -> Delivery:
        data_id = str(event.payment_id).upper() if knobs.uppercase_ids else str(event.payment_id)
        # Each delivery is its own HTTP request with its own request id: a duplicate is not a retry.
        request_id = None if knobs.omit_request_id else str(uuid.uuid4())
        if form == "ipn":
            url = with_query(event.url, {"topic": "payment", "id": data_id})
            body: dict[str, Any] = {"resource": data_id, "topic": "payment"}
        else:
            url = with_query(event.url, {"data.id": data_id, "type": "payment"})
            body = {
                "id": event.id,
                "live_mode": False,
                "type": "payment",
                "date_created": event.created,
                "user_id": self._settings.collector_id,
                "api_version": "v1",
                "action": event.action,
                "data": {"id": data_id},
            }
        return Delivery(
            id=next(self._delivery_ids),
            notification=event,
            format=form,
            url=url,
            body=body,
            data_id=data_id,
            request_id=request_id,
            signed_id=data_id.lower(),
        )

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[Delivery], knobs: Knobs) -> None:
        if knobs.delay_seconds:
            # Held back by the wall clock the deliveries are stamped with: the loop's timers may
            # fire a millisecond early against it, and a delivery would show less than its delay.
            deadline = now() + timedelta(seconds=knobs.delay_seconds)
            # A moment of the wall clock, not a condition another task sets: no Event to wait on.
            while (left := (deadline - now()).total_seconds()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(left)
        # One after the other, so the receiver sees them in exactly the order the knobs asked for.
        for delivery in batch:
            await self._send(delivery, knobs.retry_schedule)

    def _headers(self, delivery: Delivery) -> dict[str, str]:
        ts = int(time.time())
        secret = self._settings.webhook_secret.get_secret_value()
        if delivery.format == "ipn":
            # IPN requests may carry an x-signature, but it cannot be validated with the secret.
            secret = secrets.token_hex(16)
        headers = {
            "content-type": "application/json",
            "user-agent": "mp-emulator-webhooks/1.0",
            "x-signature": signature_header(secret, delivery.signed_id, delivery.request_id, ts),
        }
        if delivery.request_id is not None:
            headers["x-request-id"] = delivery.request_id
        return headers

    async def _send(self, delivery: Delivery, schedule: tuple[float, ...]) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._settings.delivery_timeout_seconds)
        delivery.headers = self._headers(delivery)  # a fresh ts on every attempt
        delivery.state, delivery.sent_at = "sending", mp_time(now())
        try:
            response = await self._client.post(delivery.url, json=delivery.body, headers=delivery.headers)
        except Exception as exc:  # any failure to get an answer is recorded, never lost in a task
            delivery.state, delivery.error = "failed", f"{type(exc).__name__}: {exc}"
        else:
            delivery.status_code = response.status_code
            delivery.response_body = response.text[:RESPONSE_BODY_LIMIT]
            delivery.state = "delivered" if response.is_success else "rejected"
        delivery.answered_at = mp_time(now())
        if delivery.state != "delivered" and delivery.attempt <= len(schedule):
            retry = Delivery(
                id=next(self._delivery_ids),
                notification=delivery.notification,
                format=delivery.format,
                url=delivery.url,
                body=delivery.body,
                data_id=delivery.data_id,
                request_id=delivery.request_id,
                signed_id=delivery.signed_id,
                attempt=delivery.attempt + 1,
            )
            self.deliveries.append(retry)
            self._spawn(self._retry(retry, schedule[delivery.attempt - 1], schedule))

    async def _retry(self, delivery: Delivery, wait: float, schedule: tuple[float, ...]) -> None:
        await asyncio.sleep(wait)
        await self._send(delivery, schedule)

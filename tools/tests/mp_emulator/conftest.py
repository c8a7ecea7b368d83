"""One Mercado Pago emulator and one webhook receiver over real HTTP for the whole session.

Each test starts from a reset emulator (no resources, default knobs, no outage) and an empty
receiver, so tests never see each other's payments or deliveries.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from crowdify.testing.server import serving
from mp_emulator.testing import EmulatorControl, emulator_sdk, running_emulator

WEBHOOK_SECRET = "test-webhook-secret-for-the-emulator"


@dataclass
class Received:
    path: str
    query: str  # the raw query string, exactly as sent
    params: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """A stand-in for purchase-svc's webhook endpoint: records every request, answers as told."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to answer next, then 200

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{path:path}")
        async def receive(path: str, request: Request) -> Response:
            raw = await request.body()
            self.requests.append(
                Received(
                    path="/" + path,
                    query=request.url.query,
                    params=dict(request.query_params),
                    headers=dict(request.headers),
                    body=await request.json() if raw else None,
                )
            )
            status = self.answers.pop(0) if self.answers else 200
            return Response(f'{{"answer": {status}}}', status_code=status, media_type="application/json")

        return app

    @property
    def hook(self) -> str:
        """A notification_url with a query of its own, which deliveries must keep."""
        return f"{self.url}/api/v1/purchases/webhook?source_news=webhooks"

    async def wait_for(self, count: int, within: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + within
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.requests)} of {count} webhooks arrived within {within} s")
            await asyncio.sleep(0.02)
        return self.requests[:count]


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    # No automatic retries unless a test asks for them: a retry would add deliveries to count.
    with running_emulator(webhook_secret=WEBHOOK_SECRET, retry_schedule=[]) as url:
        yield url


@pytest.fixture(scope="session")
def session_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    with serving(receiver.app()) as url:
        receiver.url = url
        yield receiver


@pytest.fixture
def receiver(session_receiver: Receiver) -> Receiver:
    session_receiver.requests.clear()
    session_receiver.answers.clear()
    return session_receiver


@pytest.fixture
async def control(emulator_url: str) -> AsyncIterator[EmulatorControl]:
    async with EmulatorControl(emulator_url) as client:
        await client.reset()
        yield client


@pytest.fixture
def sdk(emulator_url: str, control: EmulatorControl) -> Any:
    """The official SDK against a freshly reset emulator."""
    return emulator_sdk(emulator_url)


@pytest.fixture
async def http(emulator_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP, for what the SDK hides (headers, missing token, exact bodies)."""
    headers = {"Authorization": "Bearer TEST-raw"}
    async with httpx.AsyncClient(base_url=emulator_url, headers=headers) as client:
        yield client


class Harness:
    """What most tests need: the SDK, the knobs, the receiver and a preference factory."""

    def __init__(self, sdk: Any, control: EmulatorControl, receiver: Receiver) -> None:
        self.sdk = sdk
        self.control = control
        self.receiver = receiver

    @staticmethod
    async def call(method: Any, *args: Any) -> Any:
        """An SDK call (synchronous, blocking) off the event loop, as purchase-svc makes them."""
        return await asyncio.to_thread(method, *args)

    def body(self, *, notify: bool = True, **overrides: Any) -> dict[str, Any]:
        """Two general-admission tickets at $15.000 CLP, with a fresh external_reference."""
        body: dict[str, Any] = {
            "items": [
                {
                    "id": "GA",
                    "title": "Entrada General",
                    "quantity": 2,
                    "currency_id": "CLP",
                    "unit_price": 15000,
                }
            ],
            "payer": {"email": "ana@example.com", "identification": {"type": "RUT", "number": "12345678-5"}},
            "external_reference": f"ord_{uuid.uuid4().hex[:20]}",
            "back_urls": {
                "success": "https://crowdify.test/checkout/ok?lang=es",
                "failure": "https://crowdify.test/checkout/fail",
                "pending": "https://crowdify.test/checkout/pending",
            },
            "auto_return": "approved",
            "binary_mode": True,
            "statement_descriptor": "CROWDIFY",
            "metadata": {"order_id": "o-1"},
        }
        if notify:
            body["notification_url"] = self.receiver.hook
        body.update(overrides)
        return body

    async def create(self, body: dict[str, Any]) -> Any:
        """``sdk.preference().create`` (its DeprecationWarning about notification_url is expected)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return await self.call(self.sdk.preference().create, body)

    async def preference(self, *, notify: bool = True, **overrides: Any) -> dict[str, Any]:
        answer = await self.create(self.body(notify=notify, **overrides))
        assert answer["status"] == 201, answer
        preference: dict[str, Any] = answer["response"]
        return preference

    async def paid(self, status: str = "approved", **overrides: Any) -> tuple[dict[str, Any], int]:
        """A preference and a payment on it; returns (preference, payment id)."""
        preference = await self.preference(**overrides)
        paid = await self.control.pay(preference["id"], status)
        return preference, int(paid["payment_id"])


@pytest.fixture
def mp(sdk: Any, control: EmulatorControl, receiver: Receiver) -> Harness:
    return Harness(sdk, control, receiver)

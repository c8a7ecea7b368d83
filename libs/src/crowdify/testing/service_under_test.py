"""What the shared test fixtures are made of (:mod:`crowdify.testing.pytest_plugin`), for a
conftest or a test that needs one of them on its own terms: the service under test, tokens,
workers stopped at the end, a publisher, the HTTP app in-process.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from crowdify.auth import issue_backend_token
from crowdify.contracts.base import Contract
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.publisher import Publisher
from crowdify.testing.rabbitmq import RabbitNamespace

Publish = Callable[..., Awaitable[Envelope]]
Bearer = Callable[..., dict[str, str]]


class RunningWorker(Protocol):
    """What the tests need of a service's worker (every service's ``worker.Worker``)."""

    @property
    def consumer(self) -> Any: ...
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


StartWorker = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class ServiceUnderTest:
    """The service a conftest tests, and the defaults of its tokens.

    ``role``, ``subject`` and ``email`` are what ``bearer()`` signs without arguments; with no
    ``subject`` each token gets one of its own (``<role>-<random>``).
    """

    name: str
    create_app: Callable[[Any], Any] | None = None
    worker: Callable[[Any], RunningWorker] | None = None
    role: str = "user"
    subject: str | None = None
    email: str | None = None

    @property
    def short_name(self) -> str:
        return self.name.removesuffix("-svc")


def make_bearer(
    secret: str, *, role: str = "user", subject: str | None = None, email: str | None = None
) -> Bearer:
    """``bearer(role=..., sub=..., email=...)``: an ``Authorization`` header with a backend token."""

    def bearer(role: str = role, sub: str | None = subject, email: str | None = email) -> dict[str, str]:
        token = issue_backend_token(
            secret, subject=sub or f"{role}-{uuid.uuid4().hex[:8]}", role=role, email=email
        )
        return {"Authorization": f"Bearer {token}"}

    return bearer


@asynccontextmanager
async def running_workers(rabbit: RabbitNamespace) -> AsyncIterator[Callable[[Any], Awaitable[Any]]]:
    """``start(worker)`` starts a worker on this test's queues; every one is stopped at the end
    and its retry and parking queues deleted with the namespace."""
    running: list[RunningWorker] = []

    async def start(worker: Any) -> Any:
        rabbit.track(worker.consumer.topology.queue_names)
        await worker.start()
        running.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in reversed(running):
            await worker.stop()


@asynccontextmanager
async def publishing(amqp_url: str, exchange: str) -> AsyncIterator[Publish]:
    """``publish(message)`` wraps and sends a contract; ``publish(envelope=...)`` re-sends an
    envelope as it is (a broker redelivery). Both return what was sent."""
    async with Publisher(amqp_url, exchange) as publisher:

        async def send(message: Contract | None = None, *, envelope: Envelope | None = None) -> Envelope:
            if envelope is None:
                assert message is not None, "publish a message or an envelope"
                envelope = Envelope.wrap(message, correlation_id=str(uuid.uuid4()))
            await publisher.publish(envelope)
            return envelope

        yield send


@asynccontextmanager
async def in_process_client(app: Any, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client calling ``app`` in this process, its lifespan started and ended around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=60) as http:
            yield http

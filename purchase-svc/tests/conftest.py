"""Fixtures for purchase-svc tests on the real PostgreSQL, Redis and RabbitMQ, and the real
Mercado Pago emulator.

The shared ones (a migrated database per session, a RabbitMQ namespace, workers, a publisher,
the HTTP app in-process) come from :mod:`crowdify.testing.pytest_plugin`; here are what is
purchase-svc's own: its settings, tokens of the test's own buyer, one emulator for the session,
and event-svc stood in for on the broker (:mod:`tests.event_svc_stand_in`): the saga tests
publish its messages, they never run its code.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from crowdify.testing import RabbitNamespace
from crowdify.testing.rabbitmq import consuming
from crowdify.testing.service_under_test import Bearer, Publish, ServiceUnderTest, StartWorker, make_bearer
from mp_emulator.testing import running_emulator
from purchase_svc.main import create_app
from purchase_svc.settings import PurchaseSettings
from purchase_svc.worker import Worker
from tests.event_svc_stand_in import ORDER_MESSAGES, EventSvcStandIn

pytest_plugins = ["crowdify.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest("purchase-svc", create_app=create_app, worker=Worker)


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    with running_emulator(retry_schedule=[]) as url:
        yield url


@pytest.fixture
def settings(infrastructure: dict[str, Any], rabbit: RabbitNamespace, emulator_url: str) -> PurchaseSettings:
    return PurchaseSettings(
        **infrastructure,
        catalog_queue=rabbit.queue("purchase-catalog"),
        mercadopago_api_base_url=emulator_url,
        mercadopago_breaker_threshold=3,
        mercadopago_breaker_ttl_seconds=0.5,
        db_pool_size=5,
    )


@pytest.fixture
def bearer(settings: PurchaseSettings) -> Bearer:
    """Tokens for this test; without ``sub``, the test's own buyer (orders are limited per buyer)."""
    secret = settings.jwt_secret.get_secret_value()
    return make_bearer(secret, subject=f"buyer-{uuid.uuid4()}", email="ana@example.com")


@pytest.fixture
async def event_svc(settings: PurchaseSettings, publish: Publish) -> AsyncIterator[EventSvcStandIn]:
    """event-svc on the broker: answers this test's orders from before the first is placed."""
    stand_in = EventSvcStandIn(publish)
    async with consuming(settings.amqp_url, settings.amqp_exchange, ORDER_MESSAGES, stand_in.answer):
        yield stand_in


@pytest.fixture
async def platform(start_worker: StartWorker, event_svc: EventSvcStandIn) -> None:
    """purchase-svc's worker, and event-svc answering its messages."""
    await start_worker()

"""The fixtures every service's tests share, on the real PostgreSQL and RabbitMQ of this machine.

A service's ``tests/conftest.py`` loads this plugin (``pytest_plugins =
["crowdify.testing.pytest_plugin"]``) and declares only what is its own: a session-scoped
``service`` fixture naming the service under test (:class:`ServiceUnderTest`: its name, app
factory, worker class and token defaults) and a ``settings`` fixture building its settings from
``infrastructure`` (database, broker and exchange of this session and test) and its own queues.

The session gets a database of its own, provisioned like production (one role and schema per
service) and migrated with the service's real Alembic history, then dropped. Each test gets its
own exchange and queue names (so tests never see each other's messages), workers started on
demand and stopped afterwards, a publisher, the HTTP app in-process and backend tokens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crowdify.testing.rabbitmq import RabbitNamespace, rabbit_namespace
from crowdify.testing.service_database import migrated_database, service_url
from crowdify.testing.service_under_test import (
    Bearer,
    Publish,
    ServiceUnderTest,
    StartWorker,
    in_process_client,
    make_bearer,
    publishing,
    running_workers,
)
from crowdify.testing.settings import TestInfrastructureSettings


def _needs(value: Any, what: str, service: ServiceUnderTest) -> Any:
    if value is None:
        raise pytest.UsageError(f"ServiceUnderTest({service.name!r}) names no {what}")
    return value


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    raise pytest.UsageError("the conftest declares the service it tests: a `service` fixture")


@pytest.fixture(scope="session")
async def database_name(service: ServiceUnderTest) -> AsyncIterator[str]:
    async with migrated_database(f"crowdify_test_{service.short_name}", [service.name]) as name:
        yield name


@pytest.fixture
async def rabbit(service: ServiceUnderTest) -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(
        TestInfrastructureSettings().amqp_url, prefix=service.short_name
    ) as namespace:
        yield namespace


@pytest.fixture
def infrastructure(service: ServiceUnderTest, database_name: str, rabbit: RabbitNamespace) -> dict[str, Any]:
    """The settings every service has, pointing at this session's database and this test's
    exchange; no metrics port (several workers run in one process)."""
    return {
        "database_url": service_url(service.name, database_name),
        "amqp_url": rabbit.amqp_url,
        "amqp_exchange": rabbit.exchange,
        "amqp_queue_type": rabbit.queue_type,
        "worker_metrics_port": 0,
        # An app per test: frozen, each dropped app would stay in memory (crowdify.heap).
        "gc_freeze_after_startup": False,
    }


@pytest.fixture
async def start_worker(
    service: ServiceUnderTest, settings: Any, rabbit: RabbitNamespace
) -> AsyncIterator[StartWorker]:
    """``await start_worker(**overrides)``: a worker with these settings changed."""
    make = _needs(service.worker, "worker", service)
    async with running_workers(rabbit) as start:

        async def start_with(**overrides: Any) -> Any:
            return await start(make(settings.model_copy(update=overrides)))

        yield start_with


@pytest.fixture
async def worker(start_worker: StartWorker) -> Any:
    return await start_worker()


@pytest.fixture
async def publish(settings: Any) -> AsyncIterator[Publish]:
    async with publishing(settings.amqp_url, settings.amqp_exchange) as send:
        yield send


@pytest.fixture
async def client(service: ServiceUnderTest, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = _needs(service.create_app, "create_app", service)(settings)
    async with in_process_client(app, f"http://{service.name}") as http:
        yield http


@pytest.fixture
def bearer(service: ServiceUnderTest, settings: Any) -> Bearer:
    secret = settings.jwt_secret.get_secret_value()
    return make_bearer(secret, role=service.role, subject=service.subject, email=service.email)

"""Fixtures for validation-svc tests on the real PostgreSQL and RabbitMQ.

The shared ones (a migrated database per session, a RabbitMQ namespace, workers, a publisher,
the HTTP app in-process, tokens) come from :mod:`crowdify.testing.pytest_plugin`; here are what
is validation-svc's own: its settings, a running worker that feeds the registry from published
messages, and the door.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from crowdify.testing import RabbitNamespace
from crowdify.testing.service_under_test import Bearer, Publish, ServiceUnderTest
from tests.door import Door
from validation_svc.main import create_app
from validation_svc.settings import ValidationSettings
from validation_svc.worker import Worker

pytest_plugins = ["crowdify.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest(
        "validation-svc", create_app=create_app, worker=Worker, role="scanner", subject="door-1"
    )


@pytest.fixture
def settings(infrastructure: dict[str, Any], rabbit: RabbitNamespace) -> ValidationSettings:
    return ValidationSettings(
        **infrastructure,
        events_queue=rabbit.queue("validation-events"),
        db_pool_size=10,
        admissions_poll_seconds=0.2,
    )


@pytest.fixture
async def tables(settings: ValidationSettings) -> AsyncIterator[AsyncEngine]:
    """An engine with the service's own role, for tests that read what reached its tables."""
    engine = create_async_engine(settings.database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def door(worker: Worker, publish: Publish, client: httpx.AsyncClient, bearer: Bearer) -> Door:
    return Door(publish, client, bearer("scanner"), bearer("coordinator"))

"""Fixtures for pdf-svc tests on the real PostgreSQL, RabbitMQ and S3-compatible storage.

The shared ones (a migrated database per session, a RabbitMQ namespace, a publisher, the HTTP app
in-process, tokens) come from :mod:`crowdify.testing.pytest_plugin`; here are what is pdf-svc's
own: its settings, a bucket for the session, a recorder of what pdf-svc publishes, a worker that
starts once the recorder listens, and its use cases called directly.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crowdify.runtime import ServiceResources
from crowdify.storage import ObjectStorageSettings, ensure_bucket
from crowdify.testing import RabbitNamespace
from crowdify.testing.rabbitmq import recording
from crowdify.testing.service_under_test import ServiceUnderTest, StartWorker
from pdf_svc.adapters.storage import document_store
from pdf_svc.adapters.tables import messaging
from pdf_svc.main import create_app
from pdf_svc.service.rendering import Renderer
from pdf_svc.settings import PdfSettings
from pdf_svc.worker import Worker
from tests.bus import Recorder

pytest_plugins = ["crowdify.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest("pdf-svc", create_app=create_app, worker=Worker, subject="buyer-1")


@pytest.fixture(scope="session")
def bucket() -> str:
    name = f"pdf-test-{uuid.uuid4().hex[:12]}"
    ensure_bucket(ObjectStorageSettings(), name)
    return name


def make_settings(
    infrastructure: dict[str, Any], rabbit: RabbitNamespace, storage: ObjectStorageSettings
) -> PdfSettings:
    return PdfSettings(
        **infrastructure,
        events_queue=rabbit.queue("pdf-events"),
        # Small pools: the database server is shared with every other test run on this machine.
        db_pool_size=3,
        storage=storage,
        storage_timeout_seconds=10.0,
        storage_breaker_ttl_seconds=0.5,
    )


@pytest.fixture
def settings(infrastructure: dict[str, Any], rabbit: RabbitNamespace, bucket: str) -> PdfSettings:
    return make_settings(infrastructure, rabbit, ObjectStorageSettings(bucket=bucket))


@pytest.fixture
async def bus(settings: PdfSettings) -> AsyncIterator[Recorder]:
    """Every ``pdf.*`` message published on the test's exchange, from before the worker starts."""
    async with recording(settings.amqp_url, settings.amqp_exchange, "pdf.#") as received:
        yield Recorder(received)


@pytest.fixture
async def worker(start_worker: StartWorker, bus: Recorder) -> Worker:
    started: Worker = await start_worker()
    return started


@pytest.fixture
async def resources(settings: PdfSettings) -> AsyncIterator[ServiceResources]:
    """The connections of a pdf-svc process, for tests that call the use cases directly."""
    opened = ServiceResources.create(settings, messaging)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def renderer(settings: PdfSettings, resources: ServiceResources) -> Renderer:
    return Renderer(document_store(settings), resources.outbox)

"""Fixtures for notification-svc tests on the real PostgreSQL, RabbitMQ, S3-compatible storage
and SMTP sink.

The shared ones (a migrated database per session, a RabbitMQ namespace, workers started on demand
(several, for the concurrency tests), a publisher, the HTTP app in-process, tokens) come from
:mod:`crowdify.testing.pytest_plugin`; here are what is notification-svc's own: its settings, a
bucket per test, the shop that publishes an order's messages, and the mailbox. Emails go to the
shared SMTP sink; every test writes to addresses of its own and reads back only those (the sink
is never emptied: other tests use it at the same time).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from crowdify.storage import ObjectStorageSettings
from crowdify.testing import RabbitNamespace, unique_name
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from crowdify.testing.service_under_test import Publish, ServiceUnderTest
from notification_svc.main import create_app
from notification_svc.settings import NotificationSettings
from notification_svc.worker import Worker
from tests.orders import Shop

pytest_plugins = ["crowdify.testing.pytest_plugin"]


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest("notification-svc", create_app=create_app, worker=Worker, subject="buyer-1")


@pytest.fixture
def settings(infrastructure: dict[str, Any], rabbit: RabbitNamespace) -> NotificationSettings:
    return NotificationSettings(
        **infrastructure,
        events_queue=rabbit.queue("notification-events"),
        db_pool_size=3,
        email_provider="smtp",
        smtp_host="127.0.0.1",
        smtp_port=1025,
        public_base_url="http://localhost:8000",
        pdf_wait_seconds=30,
        send_poll_seconds=0.2,
        retry_base_seconds=0.2,
        retry_max_seconds=1.0,
        breaker_threshold=3,
        breaker_ttl_seconds=1.0,
        provider_timeout_seconds=5,
    )


@pytest.fixture
def bucket() -> Iterator[str]:
    """A bucket of this test's own on the S3-compatible server, emptied and removed afterwards."""
    client = ObjectStorageSettings().client()
    name = unique_name("notif").replace("_", "-")
    client.make_bucket(name)
    try:
        yield name
    finally:
        for item in client.list_objects(name, recursive=True):
            client.remove_object(name, item.object_name)
        client.remove_bucket(name)


@pytest.fixture
def shop(publish: Publish, bucket: str) -> Shop:
    return Shop(publish, bucket)


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    async with Mailbox("http://127.0.0.1:8025") as box:
        yield box

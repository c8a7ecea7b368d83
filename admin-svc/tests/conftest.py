"""Fixtures for admin-svc tests on the real PostgreSQL and RabbitMQ, the Supabase Auth emulator
over real HTTP, and the shared SMTP sink.

The shared ones (a migrated database per session, a RabbitMQ namespace, workers started on
demand, a publisher, the HTTP app in-process, tokens) come from
:mod:`crowdify.testing.pytest_plugin`; here are what is admin-svc's own: its settings and one
Supabase Auth emulator for the session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from admin_svc.main import create_app
from admin_svc.settings import AdminSettings
from admin_svc.worker import Worker
from crowdify.testing import RabbitNamespace
from crowdify.testing.service_under_test import ServiceUnderTest
from supabase_emulator.testing import EmulatorClient, running_emulator

pytest_plugins = ["crowdify.testing.pytest_plugin"]

SUPABASE_SECRET = "admin-svc-tests-supabase-secret-0123456789"


@pytest.fixture(scope="session")
def service() -> ServiceUnderTest:
    return ServiceUnderTest("admin-svc", create_app=create_app, worker=Worker, role="admin")


@pytest.fixture(scope="session")
def emulator_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_emulator(tmp_path_factory.mktemp("supabase"), supabase_jwt_secret=SUPABASE_SECRET) as url:
        yield url


@pytest.fixture
async def emulator(emulator_url: str) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator_url) as client:
        yield client


@pytest.fixture
async def settings(
    infrastructure: dict[str, Any], rabbit: RabbitNamespace, emulator: EmulatorClient
) -> AdminSettings:
    return AdminSettings(
        **infrastructure,
        events_queue=rabbit.queue("admin-events"),
        db_pool_size=3,
        supabase_url=emulator.base_url,
        supabase_jwt_secret=SUPABASE_SECRET,
        supabase_service_role_key=(await emulator.api_keys())["service_role"],
        invite_redirect_url="http://localhost:5173/bienvenida",
        export_batch_rows=500,
    )

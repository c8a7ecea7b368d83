"""Fixtures shared by the libs tests: where the servers are, and a RabbitMQ namespace per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from crowdify.testing import RabbitNamespace, TestInfrastructureSettings, rabbit_namespace


@pytest.fixture(scope="session")
def infra() -> TestInfrastructureSettings:
    return TestInfrastructureSettings()


@pytest.fixture
async def rabbit(infra: TestInfrastructureSettings) -> AsyncIterator[RabbitNamespace]:
    async with rabbit_namespace(infra.amqp_url) as namespace:
        yield namespace

"""Every service's migrations create exactly the tables its code declares, outbox and inbox
included: on a fresh database migrated with all the real histories, Alembic's autogenerate finds
nothing to change in any service's schema."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator

import pytest

from crowdify.db.provision import SERVICE_SCHEMAS, ServiceSchema
from crowdify.testing.schema_drift import schema_drift
from crowdify.testing.service_database import migrated_database, service_url

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
async def database_name() -> AsyncIterator[str]:
    async with migrated_database("crowdify_test_drift", [s.service for s in SERVICE_SCHEMAS]) as name:
        yield name


@pytest.mark.parametrize("owner", SERVICE_SCHEMAS, ids=lambda s: s.service)
async def test_autogenerate_finds_nothing_to_change(database_name: str, owner: ServiceSchema) -> None:
    tables = importlib.import_module(f"{owner.role}.adapters.tables")
    url = service_url(owner.service, database_name)
    assert await schema_drift(url, tables.metadata, schema=owner.schema) == []

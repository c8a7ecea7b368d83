"""The unit of work commits or rolls back, and runs after-commit work only after a commit."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, Table, select

from crowdify.db import UnitOfWorkFactory, schema_metadata
from crowdify.testing import TestInfrastructureSettings, unique_schema

metadata = schema_metadata("uow_probe")
rows = Table("rows", metadata, Column("id", Integer, primary_key=True))


@pytest.fixture
async def factory():
    async with unique_schema(TestInfrastructureSettings().database_url, metadata=metadata) as db:
        yield UnitOfWorkFactory(db.engine)


async def count(factory) -> int:
    async with factory() as uow:
        return len((await uow.session.execute(select(rows))).all())


async def test_commit_then_hooks(factory):
    seen: list[int] = []
    async with factory() as uow:
        await uow.session.execute(rows.insert().values(id=1))

        async def hook() -> None:
            seen.append(await count(factory))  # the row is visible to others when the hook runs

        uow.after_commit(hook)
    assert seen == [1]


async def test_rollback_runs_no_hooks(factory):
    seen: list[str] = []
    with pytest.raises(RuntimeError):
        async with factory() as uow:
            await uow.session.execute(rows.insert().values(id=2))

            async def hook() -> None:
                seen.append("ran")

            uow.after_commit(hook)
            raise RuntimeError("use case failed")
    assert seen == [] and await count(factory) == 0


async def test_a_failing_hook_does_not_undo_the_commit(factory):
    async with factory() as uow:
        await uow.session.execute(rows.insert().values(id=3))

        async def broken() -> None:
            raise ConnectionError("broker down")

        uow.after_commit(broken)
    assert await count(factory) == 1

"""Unit of work: the only place a transaction opens.

``async with uow_factory() as uow:`` opens a session and a transaction; leaving the block commits
(or rolls back on error). Outbox messages added during the block are published right after the
commit by the hooks registered with :meth:`UnitOfWork.after_commit`, never before: a transaction
that rolls back publishes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

AfterCommitHook = Callable[[], Awaitable[None]]


class UnitOfWork:
    """One database transaction plus the work to do once it has committed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._after_commit: list[AfterCommitHook] = []
        self.committed = False

    async def driver_connection(self) -> Any:
        """The asyncpg connection under this unit's transaction, for hot statements where the ORM
        would cost more than the work (asyncpg prepares each query text once per connection).
        What runs on it commits or rolls back with the unit."""
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if driver is None:
            raise RuntimeError("the unit of work's connection is closed")
        if not driver.is_in_transaction():
            # SQLAlchemy's asyncpg adapter sends BEGIN with the unit's first statement: send one
            # now, or what runs on the driver would commit statement by statement.
            await connection.exec_driver_sql("SELECT 1")
        if not driver.is_in_transaction():
            raise RuntimeError("the unit of work's connection is not in a transaction")
        return driver

    def after_commit(self, hook: AfterCommitHook) -> None:
        """Run ``hook`` once the transaction has committed (skipped on rollback)."""
        self._after_commit.append(hook)

    async def __aenter__(self) -> Self:
        await self.session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.session.commit()
                self.committed = True
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
        if self.committed:
            await self._run_after_commit_hooks()

    async def _run_after_commit_hooks(self) -> None:
        # The state change is durable at this point; a failing hook must not turn a committed
        # request into an error. Whatever a hook could not do (publishing outbox rows) the relay
        # picks up later.
        for hook in self._after_commit:
            try:
                await hook()
            except Exception:
                log.exception("after-commit hook failed; the outbox relay will retry")


class UnitOfWorkFactory:
    """Creates units of work on one engine; services keep one in ``app.state``."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False, autobegin=False)
        self._default_hooks: list[Callable[[UnitOfWork], None]] = []

    def on_new_unit(self, configure: Callable[[UnitOfWork], None]) -> None:
        """Register ``configure`` to run on every new unit (e.g. to attach the outbox dispatcher)."""
        self._default_hooks.append(configure)

    def __call__(self) -> UnitOfWork:
        uow = UnitOfWork(self.sessionmaker())
        for configure in self._default_hooks:
            configure(uow)
        return uow

"""Counting the statements an engine sends to PostgreSQL, to hold a hot path to its round trips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[list[str]]:
    """Every statement the engine's pooled asyncpg connections send while the block runs, in order,
    whether through the ORM or on the driver. One simple query holding two statements (``BEGIN;
    SELECT ...``) is one round trip and one entry. Only connections checked out inside the block
    are watched. asyncpg's type introspection (once per connection and type) shows too."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(record.query)

    def on_checkout(_dbapi: Any, record: Any, _proxy: Any) -> None:
        record.driver_connection.add_query_logger(log)

    def on_checkin(_dbapi: Any, record: Any) -> None:
        if record.driver_connection is not None:
            record.driver_connection.remove_query_logger(log)

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", on_checkout)
    event.listen(pool, "checkin", on_checkin)
    try:
        yield sent
    finally:
        event.remove(pool, "checkout", on_checkout)
        event.remove(pool, "checkin", on_checkin)

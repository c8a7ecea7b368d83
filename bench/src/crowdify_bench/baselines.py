"""What the machine itself can do, measured in the same run as the scenarios, so every figure can
be read as a ratio that survives a noisy or slower machine:

- PostgreSQL: the conditional single-row ``UPDATE`` of one hot row (the statement that decides a
  hold), autocommitted, by 1, 8 and 32 clients: the ceiling of anything that must touch one row
  per decision.
- RabbitMQ: 1 KB persistent messages with publisher confirms, published and consumed back on a
  queue of the platform's type, with one message in flight and with a window.

- The database client: CPU per round trip of a prepared statement on raw asyncpg, of one
  statement through SQLAlchemy's async session, and of a whole unit of work (session, begin, one
  statement, commit), with the pool's pre-ping as the services have it and without. The services spend most
  of their time here, so these say how far a different way of talking to PostgreSQL could go.

The fourth baseline, nginx proxying to a bare uvicorn endpoint, is the edge scenario's plain
proxy variant (edge.py).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import aio_pika
import asyncpg
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from crowdify_bench.stats import latency_summary, rate

HOT_ROW_UPDATE = "UPDATE {schema}.hot SET held = held + $1 WHERE id = 1 AND capacity - sold - held >= $1"


async def pg_hot_row(dsn: str, seconds: float = 3.0, clients: tuple[int, ...] = (1, 8, 32)) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        await admin.execute(
            f"CREATE TABLE {schema}.hot (id int PRIMARY KEY, capacity bigint NOT NULL,"
            " sold bigint NOT NULL DEFAULT 0, held bigint NOT NULL DEFAULT 0)"
        )
        await admin.execute(f"INSERT INTO {schema}.hot (id, capacity) VALUES (1, 1000000000000)")
        by_clients = {}
        for n in clients:
            by_clients[str(n)] = await _hammer(dsn, HOT_ROW_UPDATE.format(schema=schema), n, seconds)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
    best = max(by_clients.values(), key=lambda figures: figures["updates_per_s"] or 0)
    return {
        "statement": HOT_ROW_UPDATE.format(schema="<schema>"),
        "by_clients": by_clients,
        "best_updates_per_s": best["updates_per_s"],
    }


async def _hammer(dsn: str, statement: str, clients: int, seconds: float) -> dict[str, Any]:
    pool = await asyncpg.create_pool(dsn, min_size=clients, max_size=clients)
    latencies: list[float] = []
    try:
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            async with pool.acquire() as conn:
                while (started := time.perf_counter()) < deadline:
                    status = await conn.execute(statement, 1)
                    if status != "UPDATE 1":
                        raise RuntimeError(f"the hot row was not updated: {status}")
                    latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    finally:
        await pool.close()
    return {"updates_per_s": rate(len(latencies), elapsed), **latency_summary(latencies)}


async def rabbit_round_trip(
    amqp_url: str, queue_type: str, seconds: float = 3.0, windows: tuple[int, ...] = (1, 64)
) -> dict[str, Any]:
    connection = await aio_pika.connect_robust(amqp_url)
    name = f"bench.{uuid.uuid4().hex[:10]}.round-trip"
    try:
        publishing = await connection.channel(publisher_confirms=True)
        consuming = await connection.channel()
        await consuming.set_qos(prefetch_count=256)
        queue = await consuming.declare_queue(name, durable=True, arguments={"x-queue-type": queue_type})
        by_window = {}
        for window in windows:
            by_window[str(window)] = await _round_trips(publishing, queue, window, seconds)
        await queue.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()
    return {"message_bytes": 1024, "queue_type": queue_type, "by_in_flight": by_window}


async def _round_trips(
    publishing: aio_pika.abc.AbstractChannel, queue: aio_pika.abc.AbstractQueue, window: int, seconds: float
) -> dict[str, Any]:
    sent: dict[str, float] = {}
    latencies: list[float] = []
    drained = asyncio.Event()
    body = b"x" * 1024

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        started = sent.pop(message.message_id or "", None)
        if started is not None:
            latencies.append(time.perf_counter() - started)
        await message.ack()
        if not sent and publishing_done.is_set():
            drained.set()

    publishing_done = asyncio.Event()
    tag = await queue.consume(on_message)
    deadline = time.perf_counter() + seconds
    began = time.perf_counter()

    async def publisher() -> None:
        while time.perf_counter() < deadline:
            message_id = uuid.uuid4().hex
            sent[message_id] = time.perf_counter()
            message = aio_pika.Message(
                body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT
            )
            # The publish returns once the broker confirms the message is safely stored.
            await publishing.default_exchange.publish(message, routing_key=queue.name, timeout=10)

    await asyncio.gather(*(publisher() for _ in range(window)))
    publishing_done.set()
    if sent:
        await asyncio.wait_for(drained.wait(), timeout=30)
    elapsed = time.perf_counter() - began
    await queue.cancel(tag)
    return {"messages_per_s": rate(len(latencies), elapsed), **latency_summary(latencies)}


async def db_client_overhead(dsn: str, count: int = 1000) -> dict[str, Any]:
    """Client-side CPU microseconds per round trip, three ways (one connection, no contention)."""
    conn = await asyncpg.connect(dsn)
    try:
        statement = await conn.prepare("SELECT $1::int")
        started = time.process_time()
        for n in range(count):
            await statement.fetchval(n)
        raw = (time.process_time() - started) / count
    finally:
        await conn.close()
    units = {}
    for pre_ping in (True, False):
        engine = create_async_engine(
            dsn.replace("postgresql://", "postgresql+asyncpg://", 1), pool_pre_ping=pre_ping
        )
        sessions = async_sessionmaker(engine, expire_on_commit=False, autobegin=False)
        query = select(literal(1))
        try:
            async with sessions() as session, session.begin():
                await session.execute(query)  # compiles and caches the statement
                started = time.process_time()
                for _ in range(count):
                    await session.execute(query)
                statement_cost = (time.process_time() - started) / count
            started = time.process_time()
            for _ in range(count):
                async with sessions() as session, session.begin():
                    await session.execute(query)
            units[pre_ping] = (time.process_time() - started) / count
        finally:
            await engine.dispose()
    return {
        "asyncpg_prepared_round_trip_us": round(raw * 1e6),
        "sqlalchemy_statement_in_transaction_us": round(statement_cost * 1e6),
        # As the services have it (crowdify.db.engine): the pool pings each connection it hands out.
        "sqlalchemy_unit_of_work_one_statement_us": round(units[True] * 1e6),
        "sqlalchemy_unit_of_work_without_pre_ping_us": round(units[False] * 1e6),
    }

"""The worker's batches leave the read model that the messages applied one at a time leave: with
the batches cut anywhere, shuffled, holding a message twice (under one id or two), holding several
messages of one order, and delivered again. Each comparison runs in a transaction that is rolled
back, so nothing of it stays in the database."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from admin_svc.service.journal import record_and_project
from admin_svc.service.projection import PROJECTORS
from admin_svc.service.projection_batches import project
from admin_svc.settings import AdminSettings
from crowdify.contracts.base import Contract
from crowdify.db import create_engine
from crowdify.messaging.envelope import Envelope
from tests.read_model import read_model
from tests.sales import on_sale


@pytest.fixture
async def engine(settings: AdminSettings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        yield engine
    finally:
        await engine.dispose()


async def one_at_a_time(session: AsyncSession, messages: Sequence[tuple[Contract, datetime]]) -> None:
    for message, at in messages:
        await PROJECTORS[type(message)](session, message, at)


def cut(
    deliveries: list[tuple[Contract, Envelope]], rng: random.Random
) -> list[list[tuple[Contract, Envelope]]]:
    """Batches of random sizes, some a single message, some larger than an order's messages."""
    batches = []
    while deliveries:
        size = rng.choice([1, 2, 7, 31, 120])
        batches.append(deliveries[:size])
        deliveries = deliveries[size:]
    return batches


async def test_batches_leave_the_read_model_of_one_message_at_a_time(engine: AsyncEngine) -> None:
    sale = on_sale(60, seed=44, staff=("coordinadora-1",), name="Lollapalooza")
    envelopes = sale.envelopes()
    delivered = [(message, envelope) for message, envelope in zip(sale.messages, envelopes, strict=True)]
    async with AsyncSession(engine) as session:
        await one_at_a_time(session, [(m, e.occurred_at) for m, e in delivered])
        reference = await read_model(session, sale.event_id)
        await session.rollback()
    assert len(reference["orders"]) == 60 and reference["tickets"] and reference["refunds"]

    rng = random.Random(3)
    for _ in range(4):
        deliveries = list(delivered)
        # Redelivered copies (one id) and a producer that sent a fact twice (two ids, one time).
        deliveries += rng.sample(delivered, len(delivered) // 4)
        deliveries += [(m, e.model_copy(update={"id": uuid.uuid4()})) for m, e in rng.sample(delivered, 30)]
        rng.shuffle(deliveries)
        async with AsyncSession(engine) as session:
            # As the worker takes them: batches of one kind, in arrival order.
            by_kind: dict[type[Contract], list[tuple[Contract, Envelope]]] = {}
            for message, envelope in deliveries:
                by_kind.setdefault(type(message), []).append((message, envelope))
            kinds = list(by_kind.values())
            rng.shuffle(kinds)
            for of_kind in kinds:
                for batch in cut(of_kind, rng):
                    await record_and_project(session, batch)
            assert await read_model(session, sale.event_id) == reference
            # A batch delivered again is journalled already and changes nothing.
            for batch in cut(list(deliveries), rng):
                await record_and_project(session, batch)
            assert await read_model(session, sale.event_id) == reference
            await session.rollback()


async def test_an_order_s_messages_projected_together_in_any_order(engine: AsyncEngine) -> None:
    """The rebuild's path: batches mixing kinds, each order's messages in one batch, any order."""
    sale = on_sale(40, seed=45, name="Primavera Fauna")
    timed = [(m, e.occurred_at) for m, e in zip(sale.messages, sale.envelopes(), strict=True)]
    async with AsyncSession(engine) as session:
        await one_at_a_time(session, timed)
        reference = await read_model(session, sale.event_id)
        await session.rollback()

    rng = random.Random(9)
    for _ in range(3):
        shuffled = timed + rng.sample(timed, 20)  # applied twice: a projection is safe to repeat
        rng.shuffle(shuffled)
        async with AsyncSession(engine) as session:
            await project(session, shuffled)
            assert await read_model(session, sale.event_id) == reference
            await session.rollback()

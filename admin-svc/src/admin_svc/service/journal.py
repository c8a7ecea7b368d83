"""The journal of messages behind the read model, and rebuilding the read model from it."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from admin_svc.adapters.bulk import arrays, insert_arrays
from admin_svc.adapters.tables import READ_MODEL_TABLES, journal
from admin_svc.service.projection_batches import project
from crowdify.contracts.base import REGISTRY, Contract
from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.envelope import Envelope

JOURNAL_COLUMNS = ("message_id", "routing_key", "occurred_at", "payload")
# One statement for a whole batch; RETURNING names the messages the journal did not have yet.
JOURNAL_INSERT = insert_arrays(
    journal, JOURNAL_COLUMNS, "ON CONFLICT (message_id) DO NOTHING", "RETURNING message_id"
)


async def record_and_project(session: AsyncSession, batch: Sequence[tuple[Contract, Envelope]]) -> None:
    """Keep the messages in the journal (each once) and apply those it did not have to the read
    model (:mod:`admin_svc.service.projection_batches`)."""
    first: dict[UUID, tuple[Contract, Envelope]] = {}
    for message, envelope in batch:
        first.setdefault(envelope.id, (message, envelope))  # a copy later in the batch is a duplicate
    if not first:
        return
    rows = (
        {
            "message_id": envelope.id,
            "routing_key": envelope.routing_key,
            "occurred_at": envelope.occurred_at,
            "payload": message.model_dump_json(),
        }
        for message, envelope in first.values()
    )
    recorded = set((await session.execute(JOURNAL_INSERT, arrays(rows, JOURNAL_COLUMNS))).scalars())
    await project(
        session,
        [(message, envelope.occurred_at) for message, envelope in first.values() if envelope.id in recorded],
    )


async def rebuild(uow_factory: UnitOfWorkFactory, *, batch_size: int = 1000) -> int:
    """Empty the read model and apply every journalled message again, in one transaction (the
    dashboards keep showing the old figures until it commits), ``batch_size`` at a time with the
    worker's batch projections. Returns the messages replayed."""
    replayed = 0
    async with uow_factory() as uow:
        names = ", ".join(f"{table.schema}.{table.name}" for table in READ_MODEL_TABLES)
        await uow.session.execute(text(f"TRUNCATE {names}"))
        after: tuple[object, object] | None = None
        while True:
            query = select(journal).order_by(journal.c.occurred_at, journal.c.message_id).limit(batch_size)
            if after is not None:
                query = query.where(tuple_(journal.c.occurred_at, journal.c.message_id) > after)
            batch = (await uow.session.execute(query)).mappings().all()
            messages = []
            for row in batch:
                contract = REGISTRY[row["routing_key"]]
                messages.append((contract.model_validate(row["payload"]), row["occurred_at"]))
            await project(uow.session, messages)
            replayed += len(batch)
            if len(batch) < batch_size:
                break
            after = (batch[-1]["occurred_at"], batch[-1]["message_id"])
    return replayed

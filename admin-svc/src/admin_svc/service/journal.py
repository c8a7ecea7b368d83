"""The journal of messages behind the read model, and rebuilding the read model from it."""

from __future__ import annotations

from sqlalchemy import select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from admin_svc.adapters.tables import READ_MODEL_TABLES, journal
from admin_svc.service.projection import PROJECTORS
from crowdify.contracts.base import REGISTRY, Contract
from crowdify.db import UnitOfWorkFactory
from crowdify.messaging.envelope import Envelope


async def record_and_project(session: AsyncSession, envelope: Envelope, message: Contract) -> None:
    """Keep the message in the journal (once) and apply it to the read model."""
    recorded = await session.execute(
        insert(journal)
        .values(
            message_id=envelope.id,
            routing_key=envelope.routing_key,
            occurred_at=envelope.occurred_at,
            payload=message.model_dump(mode="json"),
        )
        .on_conflict_do_nothing(index_elements=[journal.c.message_id])
        .returning(journal.c.message_id)
    )
    if recorded.first() is not None:
        await PROJECTORS[type(message)](session, message, envelope.occurred_at)


async def rebuild(uow_factory: UnitOfWorkFactory, *, batch_size: int = 1000) -> int:
    """Empty the read model and apply every journalled message again, in one transaction (the
    dashboards keep showing the old figures until it commits). Returns the messages replayed."""
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
            for row in batch:
                contract = REGISTRY[row["routing_key"]]
                await PROJECTORS[contract](
                    uow.session, contract.model_validate(row["payload"]), row["occurred_at"]
                )
            replayed += len(batch)
            if len(batch) < batch_size:
                break
            after = (batch[-1]["occurred_at"], batch[-1]["message_id"])
    return replayed

"""Transactional outbox: messages are rows written in the same transaction as the state change.

``Outbox.add`` inserts the envelope into the unit's session, so it commits or rolls back with the
business change: a rolled-back unit publishes nothing. Units created by a factory the outbox is
attached to send their own rows right after commit (low latency); whatever that could not send
(broker down, process killed) :class:`OutboxRelay` sends later.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from crowdify.contracts.base import Contract
from crowdify.db.uow import UnitOfWork, UnitOfWorkFactory
from crowdify.messaging.context import handling_envelope_var
from crowdify.messaging.envelope import Envelope
from crowdify.messaging.outbox_dispatch import Pending, dispatch
from crowdify.messaging.publisher import Publisher
from crowdify.messaging.relay import OutboxRelay
from crowdify.messaging.tables import MessagingTables
from crowdify.messaging.wire import REQUEST_ID
from crowdify.observability.context import correlation_id_var, request_id_var

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message for :meth:`Outbox.add_many`."""

    event: Contract
    correlation_id: str | None = None
    causation_id: str | None = None


class Outbox:
    def __init__(self, tables: MessagingTables, publisher: Publisher | None) -> None:
        self.tables = tables
        self.publisher = publisher
        # The rows each attached unit added, as written (sent after its commit without reading
        # them back); weak so a finished unit takes its list with it.
        self._added_by_unit: WeakKeyDictionary[UnitOfWork, list[Pending]] = WeakKeyDictionary()

    def attach(self, uow_factory: UnitOfWorkFactory) -> None:
        """Every unit ``uow_factory`` creates sends the rows it added right after its commit."""
        engine = uow_factory.engine

        def configure(uow: UnitOfWork) -> None:
            added: list[Pending] = []
            self._added_by_unit[uow] = added

            async def dispatch() -> None:
                await self._dispatch(engine, added)

            uow.after_commit(dispatch)

        uow_factory.on_new_unit(configure)

    async def add(
        self,
        uow: UnitOfWork,
        event: Contract,
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        """Write ``event`` to the outbox inside ``uow``'s transaction and return its envelope.

        Inside a message handler the new message is caused by the one being handled and belongs
        to its chain; elsewhere the correlation id is the request's (or, failing that, the new
        message starts a chain of its own).
        """
        [envelope] = await self.add_many(uow, [Outgoing(event, correlation_id, causation_id)])
        return envelope

    async def add_many(self, uow: UnitOfWork, messages: Sequence[Outgoing]) -> list[Envelope]:
        """Write several messages in one statement (a batch's decisions), in the order given;
        each keeps its own correlation and causation, as :meth:`add` would set them."""
        if not messages:
            return []
        envelopes, headers = self.envelopes_for(messages)
        await uow.session.execute(
            insert(self.tables.outbox),
            [
                {
                    "id": envelope.id,
                    "routing_key": envelope.routing_key,
                    "envelope": envelope.model_dump(mode="json"),
                    "headers": headers,
                }
                for envelope in envelopes
            ],
        )
        added = self._added_by_unit.get(uow)
        if added is not None:
            added.extend(Pending(envelope, headers) for envelope in envelopes)
        return envelopes

    @staticmethod
    def request_headers() -> dict[str, Any]:
        """The headers a message written now carries: the id of the request it came from."""
        request_id = request_id_var.get()
        return {REQUEST_ID: request_id} if request_id else {}

    def envelopes_for(self, messages: Sequence[Outgoing]) -> tuple[list[Envelope], dict[str, Any]]:
        """The envelopes and headers :meth:`add_many` writes, also for a statement that writes the
        outbox rows itself (with the state change, in one statement); :meth:`send` publishes them."""
        handling = handling_envelope_var.get()
        ambient = correlation_id_var.get() or request_id_var.get()
        headers = self.request_headers()
        envelopes: list[Envelope] = []
        for message in messages:
            correlation = message.correlation_id or ambient
            causation = message.causation_id
            if causation is None and handling is not None:
                causation = str(handling.id)
            envelope = Envelope.wrap(message.event, correlation_id=correlation or "", causation_id=causation)
            if not correlation:
                envelope = envelope.model_copy(update={"correlation_id": str(envelope.id)})
            envelopes.append(envelope)
        return envelopes, headers

    async def send(
        self, bind: AsyncEngine | AsyncConnection, envelopes: Sequence[Envelope], headers: dict[str, Any]
    ) -> None:
        """Publish rows committed outside a unit of work right away (``envelopes`` and ``headers``
        as :meth:`envelopes_for` made them and the caller wrote them), as an attached unit does
        after its commit; what cannot be sent now the relay sends later. ``bind``: the engine, or
        the connection the rows were written on (no second checkout from the pool)."""
        await self.send_pending(bind, [Pending(envelope, headers) for envelope in envelopes])

    async def send_pending(self, bind: AsyncEngine | AsyncConnection, pending: Sequence[Pending]) -> None:
        """:meth:`send` for rows that each carry headers of their own (several requests' rows,
        written together by one statement)."""
        try:
            await self._dispatch(bind, list(pending))
        except Exception:
            # The rows are committed: a failed send must not turn the caller's success into an
            # error (the same rule as a unit's after-commit hooks).
            log.exception("sending committed outbox rows failed; the outbox relay will retry")

    async def _dispatch(self, bind: AsyncEngine | AsyncConnection, pending: list[Pending]) -> None:
        if pending and self.publisher is not None:
            await dispatch(bind, self.tables.outbox, pending, self.publisher)


__all__ = ["Outbox", "OutboxRelay", "Outgoing"]

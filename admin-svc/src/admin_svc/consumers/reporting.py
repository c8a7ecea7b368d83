"""The reporting consumer: every message it takes in is written to the journal and projected into
the read model, in the consumer's transaction (the inbox has already dropped duplicates).

Messages of one kind that are waiting are taken together (``Consumer.on_batch``): one transaction,
one commit and one set of inbox rows for the batch instead of one per message, and within it one
journal insert and a few set-based statements for the whole batch (``projection_batches``).
During an on-sale or a door rush the read model receives a message for every order, payment,
ticket and admission, and a commit and statements per message made it cost more CPU than the
paths it reports on. Projections are safe
in any order and a failed batch is handled again one message at a time, so batching changes when
a message is applied, never what it does to the read model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from admin_svc.service.journal import record_and_project
from admin_svc.service.projection import ORDERS_IN, PROJECTORS
from crowdify.contracts.base import Contract
from crowdify.db import UnitOfWork
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope


def register_reporting_handlers(consumer: Consumer, *, linger: float = 0.0) -> None:
    """``linger``: how long a batch that is not full waits for more messages of its kind."""

    async def on_batch(batch: Sequence[tuple[Any, Envelope]], uow: UnitOfWork) -> None:
        await record_and_project(uow.session, batch)

    for contract in PROJECTORS:
        consumer.on_batch(contract, on_batch, weight=_weight(contract), linger=linger)


def _weight(contract: type[Contract]) -> Callable[[Any], int] | None:
    """A message that lists many orders weighs as many: a batch stays a prefetch's worth of
    orders, however the producers grouped them."""
    orders_in = ORDERS_IN.get(contract)
    if orders_in is None:
        return None
    return lambda message: len(orders_in(message))

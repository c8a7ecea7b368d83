"""The reporting consumer: every message it takes in is written to the journal and projected into
the read model, in the consumer's transaction (the inbox has already dropped duplicates)."""

from __future__ import annotations

from typing import Any

from admin_svc.service.journal import record_and_project
from admin_svc.service.projection import PROJECTORS
from crowdify.db import UnitOfWork
from crowdify.messaging.consumer import Consumer
from crowdify.messaging.envelope import Envelope


def register_reporting_handlers(consumer: Consumer) -> None:
    async def on_message(message: Any, envelope: Envelope, uow: UnitOfWork) -> None:
        await record_and_project(uow.session, envelope, message)

    for contract in PROJECTORS:
        consumer.on(contract, on_message)

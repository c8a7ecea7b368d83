"""The sender's claims: concurrent senders never take the same email, an email claimed by a
sender that died is taken over once its lease lapses, and a tickets email goes before a backlog
of notices."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.storage import ObjectStorageSettings
from crowdify.testing.mail_sink import MailSinkClient as Mailbox
from notification_svc.adapters.documents import DocumentStore
from notification_svc.adapters.providers import build_provider
from notification_svc.adapters.tables import emails
from notification_svc.domain.emails import Kind
from notification_svc.service.composing import Composer
from notification_svc.service.intake import queue_email
from notification_svc.service.sender import Sender, SenderPolicy
from notification_svc.settings import NotificationSettings


def _sender(settings: NotificationSettings, uow_factory: UnitOfWorkFactory, **policy: object) -> Sender:
    composer = Composer(uow_factory, DocumentStore(ObjectStorageSettings().client()), settings)
    return Sender(
        uow_factory,
        build_provider(settings),
        composer,
        replace(SenderPolicy.from_settings(settings), **policy),  # type: ignore[arg-type]
    )


async def _queue(
    uow_factory: UnitOfWorkFactory, count: int, kind: Kind = Kind.ORDER_EXPIRED
) -> list[tuple[uuid.UUID, str]]:
    queued = []
    async with uow_factory() as uow:
        for _ in range(count):
            order_id = uuid.uuid4()
            address = f"claims-{order_id.hex[:12]}@crowdify.test"
            await queue_email(
                uow,
                order_id=order_id,
                kind=kind,
                recipient=address,
                context={"event_name": "Prueba de concurrencia", "total": 1000, "currency": "CLP"},
            )
            queued.append((order_id, address))
    return queued


async def test_concurrent_senders_send_every_email_exactly_once(
    settings: NotificationSettings, mailbox: Mailbox
) -> None:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=3)
    try:
        uow_factory = UnitOfWorkFactory(engine)
        queued = await _queue(uow_factory, 40)
        senders = [_sender(settings, uow_factory, batch_size=3) for _ in range(5)]

        async def drain(sender: Sender) -> None:
            while await sender.send_due():
                pass

        await asyncio.gather(*(drain(s) for s in senders))
        async with uow_factory() as uow:
            rows = (
                await uow.session.execute(
                    select(emails.c.status, emails.c.attempts).where(
                        emails.c.order_id.in_([order_id for order_id, _ in queued])
                    )
                )
            ).all()
        assert sorted(set(rows)) == [("sent", 1)] and len(rows) == 40
        for _, address in queued:
            assert len(await mailbox.wait_for(address)) == 1
    finally:
        await engine.dispose()


async def test_an_email_claimed_by_a_sender_that_died_is_sent_after_its_lease(
    settings: NotificationSettings, mailbox: Mailbox
) -> None:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=2)
    try:
        uow_factory = UnitOfWorkFactory(engine)
        [(order_id, address)] = await _queue(uow_factory, 1)
        dead = _sender(settings, uow_factory, lease=timedelta(seconds=1))
        assert len(await dead._claim()) == 1  # claimed, then the process "dies" before sending
        survivor = _sender(settings, uow_factory)
        assert await survivor.send_due() == 0  # the lease still holds
        await asyncio.sleep(1.2)  # the lease is a duration: nothing to poll for but the clock
        assert await survivor.send_due() == 1
        await mailbox.wait_for(address)
        async with uow_factory() as uow:
            row = (
                (await uow.session.execute(select(emails).where(emails.c.order_id == order_id)))
                .mappings()
                .one()
            )
        assert (row["status"], row["attempts"]) == ("sent", 2)
    finally:
        await engine.dispose()


async def test_a_tickets_email_is_claimed_before_a_backlog_of_notices(settings: NotificationSettings) -> None:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=2)
    try:
        uow_factory = UnitOfWorkFactory(engine)
        notices = await _queue(uow_factory, 30)  # an on-sale's holds expired together
        [(tickets_order, _)] = await _queue(uow_factory, 1, Kind.TICKETS)  # then someone paid
        sender = _sender(settings, uow_factory, batch_size=5)
        first = await sender._claim()  # the batch's emails are sent together, in no order
        kinds = sorted((row["kind"], row["order_id"] == tickets_order) for row in first)
        assert kinds == [(Kind.ORDER_EXPIRED.value, False)] * 4 + [(Kind.TICKETS.value, True)], kinds
    finally:
        # Claimed and never sent: removed, so no other test meets them.
        async with uow_factory() as uow:
            ours = [order_id for order_id, _ in notices] + [tickets_order]
            await uow.session.execute(emails.delete().where(emails.c.order_id.in_(ours)))
        await engine.dispose()

"""An email row made into the message a provider sends: the template rendered with what the row
captured plus what is known now (the amount paid, the organiser's reason), and for the tickets
email the order's PDF attached, or a download link when it is not there (rendering late, storage
unreadable): the buyer always gets their confirmation."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping

from crowdify.db import UnitOfWorkFactory
from notification_svc.adapters.documents import DocumentStore, DocumentUnavailable, StoredDocument
from notification_svc.adapters.providers import Attachment, OutgoingEmail
from notification_svc.adapters.tables import cancelled_events, documents, orders
from notification_svc.domain.emails import Documents, Kind, message_id
from notification_svc.rendering.compose import compose, order_reference
from notification_svc.settings import NotificationSettings

log = logging.getLogger(__name__)


class Composer:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, store: DocumentStore, settings: NotificationSettings
    ) -> None:
        self.uow_factory = uow_factory
        self.store = store
        self.settings = settings

    def download_url(self, order_id: object) -> str:
        return f"{self.settings.public_base_url.rstrip('/')}/api/v1/purchases/{order_id}/pdf"

    async def compose(self, row: RowMapping) -> tuple[OutgoingEmail, str | None]:
        """The message for ``row``, and how it carries the documents (tickets email only)."""
        kind = Kind(row["kind"])
        context: dict[str, Any] = dict(row["context"])
        attachments: tuple[Attachment, ...] = ()
        carried: str | None = None
        if kind is Kind.TICKETS:
            attachments, carried = await self._tickets(row, context)
        elif kind is Kind.EVENT_CANCELLED:
            await self._cancellation(context)
        composed = compose(kind, context, timezone=self.settings.timezone)
        outgoing = OutgoingEmail(
            email_id=str(row["id"]),
            message_id=message_id(row["id"], self.settings.sender_domain),
            sender=self.settings.email_from,
            sender_name=self.settings.email_from_name,
            to=row["recipient"],
            to_name=context.get("buyer_name"),
            subject=composed.subject,
            text=composed.text,
            html=composed.html,
            attachments=attachments,
        )
        return outgoing, carried

    async def _tickets(self, row: RowMapping, context: dict[str, Any]) -> tuple[tuple[Attachment, ...], str]:
        async with self.uow_factory() as uow:
            order = (
                (await uow.session.execute(select(orders).where(orders.c.order_id == row["order_id"])))
                .mappings()
                .first()
            )
            document = (
                (await uow.session.execute(select(documents).where(documents.c.order_id == row["order_id"])))
                .mappings()
                .first()
            )
        if order is not None and order["total"] is not None:
            context.update(total=order["total"], currency=order["currency"])
        context["download_url"] = self.download_url(row["order_id"])
        if document is not None:
            try:
                content = await self.store.read(
                    StoredDocument(
                        bucket=document["bucket"],
                        key=document["key"],
                        sha256=document["sha256"],
                        size=document["size"],
                    )
                )
            except DocumentUnavailable as problem:
                log.warning(
                    "the order's PDF cannot be attached (%s); sending the link",
                    problem,
                    extra={"order_id": str(row["order_id"]), "email_id": str(row["id"])},
                )
            else:
                context["documents"] = Documents.ATTACHED.value
                filename = f"entradas-{order_reference(row['order_id'])}.pdf"
                return (Attachment(filename=filename, content=content),), Documents.ATTACHED.value
        context["documents"] = Documents.LINK.value
        return (), Documents.LINK.value

    async def _cancellation(self, context: dict[str, Any]) -> None:
        if not context.get("event_id"):
            return
        async with self.uow_factory() as uow:
            event = (
                (
                    await uow.session.execute(
                        select(cancelled_events).where(cancelled_events.c.event_id == context["event_id"])
                    )
                )
                .mappings()
                .first()
            )
        if event is not None:
            context["reason"] = event["reason"]
            context["event_name"] = context.get("event_name") or event["name"]

"""Orders as the messages of the purchase saga describe them, for the tests to publish.

Each order has a unique buyer address, so a test reads back only its own emails from the shared
SMTP sink. The PDF a "rendered" message announces is really put into the test's bucket.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crowdify.contracts.catalog import EventCancelledV1
from crowdify.contracts.common import EventSnapshot, OrderLine
from crowdify.contracts.pdf import RenderedTicket, StoredDocument, TicketsRenderedV1
from crowdify.contracts.purchase import OrderCancelledV1, OrderExpiredV1, OrderPaidV1, OrderRefundedV1
from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.messaging.envelope import Envelope
from crowdify.storage import ObjectStorageSettings

EVENT_NAME = "Los Bunkers en el Estadio Nacional"
EVENT_STARTS_AT = datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
EVENT_DATE_ES_CL = "sábado 5 de diciembre de 2026, 20:00"
VENUE = "Estadio Nacional, Ñuñoa"
UNIT_PRICE = 22500


def pdf_bytes(order_id: uuid.UUID) -> bytes:
    """A small, well-formed one-page PDF naming the order (so each test's bytes differ)."""
    text = f"Entradas {order_id}".encode()
    stream = b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


@dataclass
class Order:
    order_id: uuid.UUID
    event_id: uuid.UUID
    user_id: str
    buyer_email: str
    buyer_name: str
    ticket_type_id: uuid.UUID
    ticket_ids: list[uuid.UUID]
    issued_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @property
    def total(self) -> int:
        return UNIT_PRICE * len(self.ticket_ids)


class Shop:
    def __init__(self, publish: Callable[..., Awaitable[Envelope]], bucket: str) -> None:
        self.publish = publish
        self.bucket = bucket

    def order(
        self, *, tickets: int = 2, user_id: str = "buyer-1", event_id: uuid.UUID | None = None
    ) -> Order:
        order_id = uuid.uuid4()
        return Order(
            order_id=order_id,
            event_id=event_id or uuid.uuid4(),
            user_id=user_id,
            buyer_email=f"buyer-{order_id.hex[:12]}@crowdify.test",
            buyer_name="Ana <Pérez> & Cía",
            ticket_type_id=uuid.uuid4(),
            ticket_ids=[uuid.uuid4() for _ in range(tickets)],
        )

    def issued(self, order: Order) -> TicketsIssuedV1:
        holders = ["Ana Pérez", "Tomás Pérez", "Sofía Pérez", "Diego Pérez"]
        return TicketsIssuedV1(
            order_id=order.order_id,
            event_id=order.event_id,
            event_name=EVENT_NAME,
            venue=VENUE,
            event_starts_at=EVENT_STARTS_AT,
            buyer_email=order.buyer_email,
            buyer_name=order.buyer_name,
            user_id=order.user_id,
            tickets=tuple(
                IssuedTicket(
                    id=ticket_id,
                    ticket_type_id=order.ticket_type_id,
                    ticket_type="Cancha General",
                    holder_name=holders[n % len(holders)],
                    qr_payload=f"CF1.test.{ticket_id}",
                )
                for n, ticket_id in enumerate(order.ticket_ids)
            ),
            issued_at=order.issued_at,
        )

    def paid(self, order: Order) -> OrderPaidV1:
        return OrderPaidV1(
            order_id=order.order_id,
            event_id=order.event_id,
            lines=(OrderLine(ticket_type_id=order.ticket_type_id, quantity=len(order.ticket_ids)),),
            paid_at=order.issued_at,
            total=order.total,
            currency="CLP",
        )

    def store_pdf(self, order: Order) -> tuple[str, bytes]:
        content = pdf_bytes(order.order_id)
        key = f"orders/{order.order_id}/entradas.pdf"
        ObjectStorageSettings().client().put_object(
            self.bucket, key, io.BytesIO(content), len(content), content_type="application/pdf"
        )
        return key, content

    def rendered(self, order: Order, key: str, content: bytes) -> TicketsRenderedV1:
        document = StoredDocument(
            key=key,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            pages=len(order.ticket_ids),
        )
        return TicketsRenderedV1(
            order_id=order.order_id,
            event_id=order.event_id,
            bucket=self.bucket,
            order_document=document,
            tickets=tuple(
                RenderedTicket(ticket_id=t, key=key, sha256=document.sha256, size=document.size, pages=1)
                for t in order.ticket_ids
            ),
            rendered_at=datetime.now(UTC),
        )

    def expired(self, order: Order) -> OrderExpiredV1:
        return OrderExpiredV1(
            order_id=order.order_id,
            event_id=order.event_id,
            lines=(OrderLine(ticket_type_id=order.ticket_type_id, quantity=len(order.ticket_ids)),),
            buyer_email=order.buyer_email,
            buyer_name=order.buyer_name,
            user_id=order.user_id,
            event_name=EVENT_NAME,
            event_starts_at=EVENT_STARTS_AT,
            total=order.total,
            currency="CLP",
            expired_at=datetime.now(UTC),
        )

    def refunded(
        self,
        order: Order,
        *,
        tickets: int | None = None,
        cause: str = "admin",
        refund_id: str | None = None,
        full: bool | None = None,
    ) -> OrderRefundedV1:
        count = len(order.ticket_ids) if tickets is None else tickets
        return OrderRefundedV1(
            order_id=order.order_id,
            event_id=order.event_id,
            refund_id=refund_id or str(uuid.uuid4()),
            lines=(OrderLine(ticket_type_id=order.ticket_type_id, quantity=count),),
            ticket_ids=tuple(order.ticket_ids[:count]),
            full=count == len(order.ticket_ids) if full is None else full,
            buyer_email=order.buyer_email,
            buyer_name=order.buyer_name,
            user_id=order.user_id,
            event_name=EVENT_NAME,
            event_starts_at=EVENT_STARTS_AT,
            amount=UNIT_PRICE * count,
            currency="CLP",
            reason="evento cancelado" if cause == "event_cancelled" else "a pedido del comprador",
            cause=cause,
        )

    def cancelled(self, order: Order, *, cause: str) -> OrderCancelledV1:
        return OrderCancelledV1(
            order_id=order.order_id,
            event_id=order.event_id,
            lines=(OrderLine(ticket_type_id=order.ticket_type_id, quantity=len(order.ticket_ids)),),
            buyer_email=order.buyer_email,
            buyer_name=order.buyer_name,
            user_id=order.user_id,
            event_name=EVENT_NAME,
            event_starts_at=EVENT_STARTS_AT,
            total=order.total,
            currency="CLP",
            cause=cause,
        )

    def event_cancelled(self, event_id: uuid.UUID, reason: str) -> EventCancelledV1:
        return EventCancelledV1(
            event=EventSnapshot(
                id=event_id,
                name=EVENT_NAME,
                venue=VENUE,
                starts_at=EVENT_STARTS_AT,
                status="cancelled",
                hold_minutes=10,
            ),
            reason=reason,
        )

    async def buy(self, order: Order, *, render: bool = True) -> None:
        """Everything a paid order's saga publishes: paid, tickets issued, and (unless ``render``
        is False, pdf-svc being slow) the rendered documents."""
        await self.publish(self.paid(order))
        await self.publish(self.issued(order))
        if render:
            key, content = self.store_pdf(order)
            await self.publish(self.rendered(order, key, content))

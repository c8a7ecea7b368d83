"""Test helpers: issued-ticket messages, PDFs read back, QR codes decoded with a real decoder."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pypdfium2 as pdfium
import zxingcpp

from crowdify.contracts.catalog import EventPublishedV1
from crowdify.contracts.common import EventSnapshot
from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.tickets import TicketClaims, TicketSigningSettings, sign_ticket

SIGNING_KEY = TicketSigningSettings().ticket_signing_key


def signed_code(ticket_id: uuid.UUID, event_id: uuid.UUID, type_id: uuid.UUID) -> str:
    return sign_ticket(TicketClaims(ticket_id, event_id, type_id, datetime.now(UTC)), SIGNING_KEY)


def event_published(
    event_id: uuid.UUID, *, timezone: str = "America/Santiago", status: str = "published"
) -> EventPublishedV1:
    return EventPublishedV1(
        event=EventSnapshot(
            id=event_id,
            name="Festival de prueba",
            venue="Teatro Caupolicán",
            city="Santiago",
            starts_at=datetime(2027, 2, 20, 1, 30, tzinfo=UTC),
            timezone=timezone,
            status=status,
            hold_minutes=10,
        )
    )


def tickets_issued(
    event_id: uuid.UUID,
    count: int = 2,
    *,
    user_id: str | None = "buyer-1",
    child_nombre: str | None = None,
    order_id: uuid.UUID | None = None,
) -> TicketsIssuedV1:
    type_id = uuid.uuid4()
    tickets = []
    for n in range(count):
        ticket_id = uuid.uuid4()
        tickets.append(
            IssuedTicket(
                id=ticket_id,
                ticket_type_id=type_id,
                ticket_type="General",
                holder_name=f"Asistente Núñez {n}",
                qr_payload=signed_code(ticket_id, event_id, type_id),
                child_nombre=child_nombre,
            )
        )
    return TicketsIssuedV1(
        order_id=order_id or uuid.uuid4(),
        event_id=event_id,
        event_name="Festival de prueba",
        venue="Teatro Caupolicán",
        event_starts_at=datetime.now(UTC) + timedelta(days=30),
        buyer_email="ana@example.com",
        buyer_name="Ana Pérez",
        tickets=tuple(tickets),
        issued_at=datetime.now(UTC),
        user_id=user_id,
    )


def page_count(pdf: bytes) -> int:
    return len(pdfium.PdfDocument(pdf))


def qr_texts(pdf: bytes, scale: float = 2.0) -> list[str]:
    """The text of the QR code on each page, decoded from the rasterised page."""
    document = pdfium.PdfDocument(pdf)
    texts = []
    for page in document:
        image = page.render(scale=scale).to_pil()
        found = [
            code.text
            for code in zxingcpp.read_barcodes(image)
            if code.format == zxingcpp.BarcodeFormat.QRCode
        ]
        assert len(found) == 1, f"expected one QR code on the page, found {len(found)}"
        texts.append(found[0])
    return texts


def page_text(pdf: bytes, index: int = 0) -> str:
    document = pdfium.PdfDocument(pdf)
    return str(document[index].get_textpage().get_text_range())

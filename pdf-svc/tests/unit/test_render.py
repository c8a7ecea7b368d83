"""Rendering: the QR code on each page decodes (with a real decoder) to exactly the ticket's
payload; pages, dates in the event's timezone, and the same bytes for the same input."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest

from pdf_svc.render.document import render_documents
from pdf_svc.render.model import EventDetails, OrderToRender, TicketPage
from pdf_svc.render.qr import UnrenderableTicket
from tests.documents import page_count, page_text, qr_texts, signed_code

EVENT_ID = uuid.UUID("7d3c1a52-9c61-4a55-9f0e-3f7a1c0d2b11")
# 01:30 UTC on 20 Feb 2027 is still the 19th in Santiago (summer time, UTC-3).
STARTS_AT = datetime(2027, 2, 20, 1, 30, tzinfo=UTC)


def event(timezone: str = "America/Santiago") -> EventDetails:
    return EventDetails(
        name="Festival de la Canción",
        venue="Quinta Vergara",
        city="Viña del Mar",
        starts_at=STARTS_AT,
        timezone=timezone,
    )


def ticket(
    payload: str | None = None, *, child_nombre: str | None = None, holder: str = "Ana Pérez"
) -> TicketPage:
    ticket_id = uuid.uuid4()
    return TicketPage(
        ticket_id=ticket_id,
        ticket_type="General",
        holder_name=holder,
        child_nombre=child_nombre,
        qr_payload=payload or signed_code(ticket_id, EVENT_ID, uuid.uuid4()),
    )


def order(*tickets: TicketPage, timezone: str = "America/Santiago") -> OrderToRender:
    return OrderToRender(order_id=uuid.UUID(int=42), event=event(timezone), tickets=tickets)


def test_the_qr_code_decodes_to_exactly_the_signed_payload() -> None:
    page = ticket()
    documents = render_documents(order(page))
    assert qr_texts(documents.tickets[0][1]) == [page.qr_payload]
    assert qr_texts(documents.order) == [page.qr_payload]


def test_a_long_payload_still_decodes_exactly() -> None:
    # Mixed case and punctuation: byte mode, a much denser code than a signed one.
    payload = ("Crowdify/ticket?x=" + "AbC-09_xyz." * 110)[:1200]
    documents = render_documents(order(ticket(payload)))
    assert qr_texts(documents.order, scale=3) == [payload]


def test_a_payload_no_qr_code_can_hold_is_refused() -> None:
    with pytest.raises(UnrenderableTicket):
        render_documents(order(ticket("x" * 5000)))


def test_a_child_ticket_shows_the_childs_nombre_and_its_code() -> None:
    page = ticket(child_nombre="Tomás Pérez Núñez")
    documents = render_documents(order(page))
    text = page_text(documents.order)
    assert "Nombre del menor" in text
    assert "Tomás Pérez Núñez" in text
    assert qr_texts(documents.order) == [page.qr_payload]


def test_an_adult_ticket_has_no_child_line() -> None:
    assert "Nombre del menor" not in page_text(render_documents(order(ticket())).order)


def test_the_order_document_has_a_page_per_ticket_in_order() -> None:
    pages = [ticket() for _ in range(4)]
    documents = render_documents(order(*pages))
    assert page_count(documents.order) == 4
    assert qr_texts(documents.order) == [p.qr_payload for p in pages]
    assert [ticket_id for ticket_id, _ in documents.tickets] == [p.ticket_id for p in pages]
    for (_, single), page in zip(documents.tickets, pages, strict=True):
        assert page_count(single) == 1
        assert qr_texts(single) == [page.qr_payload]
    assert "Entrada 3 de 4" in page_text(documents.order, 2)


def test_the_page_shows_event_venue_type_holder_and_order() -> None:
    text = page_text(render_documents(order(ticket(holder="José Ñúñez"))).order)
    for expected in (
        "Festival de la Canción",
        "Viernes 19 de febrero de 2027, 22:30 h",
        "America/Santiago",
        "Quinta Vergara, Viña del Mar",
        "General",
        "José Ñúñez",
        str(uuid.UUID(int=42)),
    ):
        assert expected in text


def test_the_date_is_in_the_events_own_timezone() -> None:
    text = page_text(render_documents(order(ticket(), timezone="Europe/Madrid")).order)
    assert "Sábado 20 de febrero de 2027, 02:30 h" in text


def test_an_unknown_timezone_falls_back_to_santiago() -> None:
    text = page_text(render_documents(order(ticket(), timezone="Mars/Olympus_Mons")).order)
    assert "Viernes 19 de febrero de 2027, 22:30 h" in text


def test_names_the_fonts_cannot_show_or_too_long_still_render() -> None:
    page = ticket(holder="Zoë 😀 漢字 " + "Larguísimo " * 200, child_nombre="\x00Niña\ttab")
    documents = render_documents(order(page))
    text = page_text(documents.order)
    assert "Zoë ?" in text and "..." in text
    assert qr_texts(documents.order) == [page.qr_payload]


def test_the_same_input_gives_the_same_bytes() -> None:
    same = order(ticket(), ticket(child_nombre="Tomás"))
    first, second = render_documents(same), render_documents(same)
    assert first == second


RENDER_IN_CHILD = """
import hashlib, sys, uuid
from datetime import UTC, datetime
from pdf_svc.render.document import render_documents
from pdf_svc.render.model import EventDetails, OrderToRender, TicketPage
ticket = TicketPage(uuid.UUID(int=7), "General", "Ana Pérez", "Tomás", "CF1.K.PAYLOAD.SIG")
starts_at = datetime(2027, 2, 20, 1, 30, tzinfo=UTC)
event = EventDetails("Festival", "Teatro", "Santiago", starts_at, "America/Santiago")
print(hashlib.sha256(render_documents(OrderToRender(uuid.UUID(int=42), event, (ticket,))).order).hexdigest())
"""


def test_other_processes_render_the_same_bytes() -> None:
    """Workers on other machines must agree: hash seeds and start times change nothing."""
    digests = {
        subprocess.run(
            [sys.executable, "-c", RENDER_IN_CHILD],
            env={"PYTHONHASHSEED": seed, "TZ": tz},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed, tz in (("1", "UTC"), ("2", "America/Santiago"), ("3", "Asia/Tokyo"))
    }
    assert len(digests) == 1
    local = render_documents(
        OrderToRender(
            uuid.UUID(int=42),
            EventDetails("Festival", "Teatro", "Santiago", STARTS_AT, "America/Santiago"),
            (TicketPage(uuid.UUID(int=7), "General", "Ana Pérez", "Tomás", "CF1.K.PAYLOAD.SIG"),),
        )
    )
    assert digests == {hashlib.sha256(local.order).hexdigest()}


def test_a_single_ticket_orders_document_is_its_tickets_document() -> None:
    page = ticket()
    documents = render_documents(order(page))
    separately = render_documents(order(page, ticket())).tickets[0][1]
    assert documents.tickets == ((page.ticket_id, documents.order),)
    # "Entrada 1 de 1" against "Entrada 1 de 2": otherwise the very same page.
    assert page_text(documents.order).replace("1 de 1", "1 de 2") == page_text(separately)

"""Ticket documents with reportlab: one A4 page per ticket.

Rendering is deterministic: the canvas runs in reportlab's invariant mode (fixed creation date
and document id), nothing on the page depends on the clock or the machine, so the same order
always gives the same bytes. A redelivered message therefore stores identical objects, and a
stored digest can be checked by rendering again.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from pdf_svc.render.model import OrderToRender, RenderedDocuments, TicketPage
from pdf_svc.render.qr import draw_qr, qr_matrix
from pdf_svc.render.text import event_date, fit, printable, wrap

WIDTH, HEIGHT = A4
MARGIN = 48.0
CONTENT = WIDTH - 2 * MARGIN
QR_SIZE = 230.0
BOLD = "Helvetica-Bold"
REGULAR = "Helvetica"
BRAND = (0.13, 0.11, 0.35)
MUTED = (0.35, 0.35, 0.4)


@dataclass(frozen=True)
class _Prepared:
    """A ticket with its QR modules computed once for both documents it appears in."""

    ticket: TicketPage
    matrix: list[list[bool]]
    number: int


def render_documents(order: OrderToRender) -> RenderedDocuments:
    """The order's document (a page per ticket) and one single-page document per ticket.

    A ticket's own document shows exactly the page it has in the order's document.
    """
    prepared = [
        _Prepared(ticket, qr_matrix(ticket.qr_payload), number)
        for number, ticket in enumerate(order.tickets, start=1)
    ]
    whole = _document(order, prepared)
    if len(prepared) == 1:
        # The order's document is then that ticket's own, byte for byte: render it once.
        return RenderedDocuments(order=whole, tickets=((prepared[0].ticket.ticket_id, whole),))
    return RenderedDocuments(
        order=whole,
        tickets=tuple((page.ticket.ticket_id, _document(order, [page])) for page in prepared),
    )


def _document(order: OrderToRender, pages: Sequence[_Prepared]) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(printable(f"Entradas - {order.event.name or 'Crowdify'}"))
    canvas.setAuthor("Crowdify")
    canvas.setCreator("Crowdify pdf-svc")
    for page in pages:
        _draw_page(canvas, order, page)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_page(canvas: Canvas, order: OrderToRender, page: _Prepared) -> None:
    ticket, event = page.ticket, order.event
    total = len(order.tickets)

    # Header band.
    canvas.setFillColorRGB(*BRAND)
    canvas.rect(0, HEIGHT - 72, WIDTH, 72, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(BOLD, 20)
    canvas.drawString(MARGIN, HEIGHT - 45, "CROWDIFY")
    canvas.setFont(REGULAR, 12)
    canvas.drawRightString(WIDTH - MARGIN, HEIGHT - 45, f"Entrada {page.number} de {total}")

    # The event.
    y = HEIGHT - 115
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(BOLD, 22)
    for line in wrap(printable(event.name) or "Evento", BOLD, 22, CONTENT, max_lines=2):
        canvas.drawString(MARGIN, y, line)
        y -= 27
    canvas.setFont(REGULAR, 13)
    if event.starts_at is not None:
        day, time = event_date(event.starts_at, event.timezone)
        canvas.drawString(MARGIN, y, fit(f"{day.capitalize()}, {time} h", REGULAR, 13, CONTENT))
        y -= 15
        canvas.setFillColorRGB(*MUTED)
        canvas.setFont(REGULAR, 9)
        canvas.drawString(MARGIN, y, fit(f"Hora local del evento ({event.timezone})", REGULAR, 9, CONTENT))
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont(REGULAR, 13)
    else:
        canvas.drawString(MARGIN, y, "Fecha por confirmar")
    y -= 20
    place = ", ".join(part for part in (printable(event.venue), printable(event.city)) if part)
    if place:
        canvas.drawString(MARGIN, y, fit(place, REGULAR, 13, CONTENT))
        y -= 20

    # The ticket.
    y -= 8
    canvas.setStrokeColorRGB(*MUTED)
    canvas.line(MARGIN, y, WIDTH - MARGIN, y)
    y -= 26
    rows = [
        ("Tipo de entrada", printable(ticket.ticket_type) or "General"),
        ("Titular", printable(ticket.holder_name)),
    ]
    if ticket.child_nombre:
        rows.append(("Nombre del menor", printable(ticket.child_nombre)))
    rows.append(("Orden", str(order.order_id)))
    rows.append(("Entrada", str(ticket.ticket_id)))
    for label, value in rows:
        canvas.setFillColorRGB(*MUTED)
        canvas.setFont(REGULAR, 10)
        canvas.drawString(MARGIN, y, label)
        canvas.setFillColorRGB(0, 0, 0)
        canvas.setFont(BOLD, 13)
        canvas.drawString(MARGIN + 130, y, fit(value, BOLD, 13, CONTENT - 130))
        y -= 22

    # The code.
    qr_y = y - 12 - QR_SIZE
    draw_qr(canvas, page.matrix, (WIDTH - QR_SIZE) / 2, qr_y, QR_SIZE)
    canvas.setFont(REGULAR, 10)
    canvas.setFillColorRGB(*MUTED)
    canvas.drawCentredString(WIDTH / 2, qr_y - 18, "Presenta este código en el acceso. Vale por un ingreso.")
    canvas.drawCentredString(
        WIDTH / 2, qr_y - 32, "No lo compartas: quien lo presente primero es quien entra."
    )
    canvas.setFont(REGULAR, 8)
    canvas.drawString(MARGIN, 30, "Crowdify")
    canvas.drawRightString(WIDTH - MARGIN, 30, f"Orden {order.order_id}")

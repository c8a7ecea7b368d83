"""The templates: Spanish subjects and bodies, escaped HTML, the PDF or the link."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from notification_svc.domain.emails import Kind
from notification_svc.rendering.compose import compose

ORDER = uuid.UUID("1a2b3c4d-0000-4000-8000-000000000000")
BASE: dict[str, Any] = {
    "order_id": str(ORDER),
    "buyer_name": "Ana <script>",
    "event_name": "Fiesta & Cumbia",
    "event_starts_at": "2026-12-05T23:00:00+00:00",
}


def _compose(kind: Kind, **extra: Any) -> tuple[str, str, str]:
    composed = compose(kind, {**BASE, **extra}, timezone="America/Santiago")
    return composed.subject, composed.text, composed.html


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        (Kind.TICKETS, "Tus entradas para Fiesta & Cumbia"),
        (Kind.ORDER_EXPIRED, "Tu reserva para Fiesta & Cumbia expiró"),
        (Kind.REFUND, "Reembolso de tu compra para Fiesta & Cumbia"),
        (Kind.EVENT_CANCELLED, "Evento cancelado: Fiesta & Cumbia"),
    ],
)
def test_every_kind_has_a_spanish_subject_and_escaped_html(kind: Kind, subject: str) -> None:
    got_subject, text, html = _compose(kind, documents="attached", download_url="https://x/pdf")
    assert got_subject == subject
    assert "Hola Ana <script>:" in text and "Orden N° 1A2B3C4D" in text
    assert "Ana &lt;script&gt;" in html and "<script>" not in html
    assert "Fiesta &amp; Cumbia" in html
    assert html.lstrip().startswith("<!DOCTYPE html>") and 'lang="es-CL"' in html


def test_the_tickets_email_names_the_pdf_or_gives_the_link() -> None:
    tickets = [{"ticket_type": "Niño", "holder_name": "Tomás", "child_nombre": "Tomás Pérez"}]
    _, attached, _ = _compose(
        Kind.TICKETS, tickets=tickets, documents="attached", total=45000, currency="CLP"
    )
    assert "adjuntas en PDF" in attached and "Total pagado: $45.000" in attached
    assert "- Niño: Tomás (Tomás Pérez)" in attached
    _, linked, html = _compose(
        Kind.TICKETS, documents="link", download_url="http://localhost:8000/api/v1/purchases/x/pdf"
    )
    assert "Descárgalas aquí: http://localhost:8000/api/v1/purchases/x/pdf" in linked
    assert 'href="http://localhost:8000/api/v1/purchases/x/pdf"' in html
    assert "Total pagado" not in linked  # the amount is left out until purchase-svc's message has it


def test_refunds_say_what_happened() -> None:
    _, late, _ = _compose(Kind.REFUND, cause="late_payment", amount=30000, currency="CLP")
    assert "llegó después de que expiró tu reserva" in late and "$30.000" in late
    _, partial, _ = _compose(Kind.REFUND, full=False, amount=10000, currency="CLP")
    assert "las demás siguen válidas" in partial


def test_a_cancellation_says_whether_money_comes_back() -> None:
    _, paid, _ = _compose(Kind.EVENT_CANCELLED, paid=True, amount=45000, currency="CLP", reason="lluvia")
    assert "te devolvimos $45.000" in paid and "Motivo informado: lluvia" in paid
    assert "sábado 5 de diciembre de 2026, 20:00" in paid
    _, unpaid, _ = _compose(Kind.EVENT_CANCELLED, paid=False)
    assert "no se realizó ningún cobro" in unpaid and "Motivo" not in unpaid

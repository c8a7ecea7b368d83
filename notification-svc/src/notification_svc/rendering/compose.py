"""The subject, plain text and HTML of each kind of email, from its templates (Spanish, es-CL).

HTML templates are autoescaped: names and event titles come from buyers and organisers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from crowdify.inputs import clean_person_name
from notification_svc.domain.emails import Kind
from notification_svc.rendering.formats import event_date, money

SUBJECTS = {
    Kind.TICKETS: "Tus entradas para {event}",
    Kind.ORDER_EXPIRED: "Tu reserva para {event} expiró",
    Kind.REFUND: "Reembolso de tu compra para {event}",
    Kind.EVENT_CANCELLED: "Evento cancelado: {event}",
}


# Facts a message may lack (older producers, unpaid orders): the templates leave them out.
OPTIONAL: dict[str, Any] = {
    "buyer_name": None,
    "event_name": None,
    "venue": None,
    "event_starts_at": None,
    "total": None,
    "amount": None,
    "currency": None,
    "reason": None,
    "cause": None,
    "full": True,
    "paid": False,
    "tickets": [],
    "documents": None,
    "download_url": None,
}


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


@lru_cache
def _environment(timezone: str) -> Environment:
    environment = Environment(
        loader=PackageLoader("notification_svc", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["fecha"] = lambda value: event_date(value, timezone)
    environment.filters["monto"] = money
    return environment


def order_reference(order_id: Any) -> str:
    """The short order number buyers quote to support."""
    return str(order_id).replace("-", "")[:8].upper()


def compose(kind: Kind, context: dict[str, Any], *, timezone: str) -> Composed:
    environment = _environment(timezone)
    values = {**OPTIONAL, **context}
    # purchase-svc cleans names as orders come in; orders from before that are cleaned here.
    values["buyer_name"] = clean_person_name(values["buyer_name"] or "") or None
    values["order_reference"] = order_reference(values["order_id"])
    event = values["event_name"] or "tu evento"
    return Composed(
        subject=SUBJECTS[kind].format(event=event),
        text=environment.get_template(f"{kind.value}.txt").render(values),
        html=environment.get_template(f"{kind.value}.html").render(values),
    )

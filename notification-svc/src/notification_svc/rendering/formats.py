"""How dates and amounts read in a Chilean inbox (es-CL): "sábado 14 de marzo de 2026, 21:00",
"$15.000". Amounts travel in minor units, so the currency's own number of decimals applies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency, get_currency_precision

LOCALE = "es_CL"
DATE_PATTERN = "EEEE d 'de' MMMM 'de' y, HH:mm"


def event_date(value: datetime | str | None, timezone: str) -> str | None:
    """A date and time in ``timezone`` (the event's city), spelled out in Spanish."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return str(format_datetime(moment, DATE_PATTERN, tzinfo=ZoneInfo(timezone), locale=LOCALE))


def money(minor_units: int | None, currency: str | None) -> str | None:
    """``15000, "CLP"`` -> ``$15.000``; ``1999, "USD"`` -> ``US$19,99``."""
    if minor_units is None:
        return None
    code = (currency or "CLP").upper()
    amount = Decimal(minor_units).scaleb(-get_currency_precision(code))
    return str(format_currency(amount, code, locale=LOCALE))

"""es-CL dates and amounts as buyers read them."""

from __future__ import annotations

from datetime import UTC, datetime

from notification_svc.rendering.formats import event_date, money


def test_amounts_are_in_the_currencys_minor_units_with_chilean_separators() -> None:
    assert money(15000, "CLP") == "$15.000"
    assert money(1234567, "clp") == "$1.234.567"
    assert money(0, "CLP") == "$0"
    assert money(1999, "USD") == "US$19,99"  # two decimals: 1999 cents
    assert money(None, "CLP") is None


def test_dates_are_spelled_out_in_spanish_in_the_events_timezone() -> None:
    # 23:00 UTC in December is 20:00 in Santiago (summer time, UTC-3)...
    assert event_date(datetime(2026, 12, 5, 23, 0, tzinfo=UTC), "America/Santiago") == (
        "sábado 5 de diciembre de 2026, 20:00"
    )
    # ...and in July 19:00 (UTC-4), read from the ISO text stored with the email.
    assert event_date("2026-07-18T23:00:00+00:00", "America/Santiago") == "sábado 18 de julio de 2026, 19:00"
    assert event_date(None, "America/Santiago") is None

"""Timestamps as Mercado Pago writes them: local time at -04:00 with milliseconds."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# MP answers with its servers' fixed offset all year, not Chile's DST-aware zone.
MP_OFFSET = timezone(timedelta(hours=-4))


def now() -> datetime:
    return datetime.now(MP_OFFSET)


def mp_time(moment: datetime | None) -> str | None:
    """``2024-05-25T10:04:58.396-04:00``."""
    if moment is None:
        return None
    return moment.astimezone(MP_OFFSET).isoformat(timespec="milliseconds")

"""Text on a ticket: Spanish (es-CL) dates in the event's timezone, and strings that fit a line."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportlab.pdfbase.pdfmetrics import stringWidth

from pdf_svc.settings import DEFAULT_TIMEZONE

# Hand-written rather than from the C locale: servers rarely have es_CL installed, and the
# output must not depend on the machine that renders it.
_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)
ELLIPSIS = "..."


def zone(name: str | None) -> ZoneInfo:
    """The event's timezone; an unknown or missing name falls back to Santiago."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(DEFAULT_TIMEZONE)


def event_date(starts_at: datetime, timezone: str) -> tuple[str, str]:
    """``("sábado 14 de marzo de 2026", "21:00")`` in the event's own time."""
    local = starts_at.astimezone(zone(timezone))
    day = f"{_DAYS[local.weekday()]} {local.day} de {_MONTHS[local.month - 1]} de {local.year}"
    return day, f"{local:%H:%M}"


def printable(text: str | None) -> str:
    """``text`` in what the standard PDF fonts can show (Windows-1252, which covers Spanish):
    control characters dropped, anything else outside it shown as ``?``."""
    if not text:
        return ""
    cleaned = "".join(" " if ch in "\t\n\r" else ch for ch in unicodedata.normalize("NFC", text))
    cleaned = "".join(ch for ch in cleaned if unicodedata.category(ch)[0] != "C")
    return cleaned.encode("cp1252", errors="replace").decode("cp1252").strip()


def fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis so it fits ``width`` points (names can be very long)."""
    if stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if stringWidth(text[:middle].rstrip() + ELLIPSIS, font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Words on up to ``max_lines`` lines of ``width``; the last one cut if there is more."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and stringWidth(f"{line} {words[0]}", font, size) <= width:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if words:
        lines[-1] = f"{lines[-1]} {' '.join(words)}"
    return [fit(line, font, size, width) for line in lines]

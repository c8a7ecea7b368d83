"""``GET /v1/payments/search``: filters, sort, paging.

Any parameter other than the reserved ones filters by equality on the payment's JSON, with dots
for nested fields (``external_reference``, ``status``, ``order.id``, ``payer.email`` ...).
``range=date_created&begin_date=NOW-1DAYS&end_date=NOW`` restricts by date, as the real API does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from mp_emulator.clock import now
from mp_emulator.errors import bad_request
from mp_emulator.resources import Payment

RESERVED = frozenset(
    {"sort", "criteria", "limit", "offset", "range", "begin_date", "end_date", "access_token"}
)
SORTABLE = frozenset({"date_created", "date_approved", "date_last_updated", "money_release_date", "id"})
RELATIVE = re.compile(r"NOW(?:-(\d+)(MINUTES|HOURS|DAYS|MONTHS))?", re.IGNORECASE)
UNIT_SECONDS = {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400, "MONTHS": 30 * 86400}
MAX_LIMIT = 1000


def _lookup(document: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def _moment(value: str, name: str) -> datetime:
    relative = RELATIVE.fullmatch(value.strip())
    if relative:
        amount, unit = relative.groups()
        return now() - timedelta(seconds=int(amount or 0) * UNIT_SECONDS.get((unit or "DAYS").upper(), 0))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{name} invalid: ISO 8601 or NOW-<n>DAYS", "invalid_date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=now().tzinfo)


def _integer(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise bad_request(f"{name} must be a non-negative integer", "invalid_parameter")
    return int(raw)


def search(payments: Iterable[Payment], params: Mapping[str, str]) -> dict[str, Any]:
    documents = [payment.to_json() for payment in payments]
    for name, wanted in params.items():
        if name not in RESERVED:
            documents = [d for d in documents if _as_text(_lookup(d, name)) == wanted]
    date_field = params.get("range")
    if date_field:
        if date_field not in SORTABLE - {"id"}:
            raise bad_request(f"range must be one of {sorted(SORTABLE - {'id'})}", "invalid_range")
        begin = _moment(params.get("begin_date", "NOW-3650DAYS"), "begin_date")
        end = _moment(params.get("end_date", "NOW"), "end_date")
        documents = [
            d
            for d in documents
            if d.get(date_field) and begin <= datetime.fromisoformat(d[date_field]) <= end
        ]
    sort = params.get("sort", "date_created")
    if sort not in SORTABLE:
        raise bad_request(f"sort must be one of {sorted(SORTABLE)}", "invalid_sort")
    criteria = params.get("criteria", "desc")
    if criteria not in ("asc", "desc"):
        raise bad_request("criteria must be asc or desc", "invalid_criteria")
    # Tie-break on id so equal timestamps page deterministically; missing dates sort first.
    documents.sort(
        key=lambda d: (d.get(sort) is not None, _as_text(d.get(sort)), d["id"]), reverse=criteria == "desc"
    )
    limit = min(_integer(params, "limit", 30), MAX_LIMIT)
    offset = _integer(params, "offset", 0)
    return {
        "paging": {"total": len(documents), "limit": limit, "offset": offset},
        "results": documents[offset : offset + limit],
    }

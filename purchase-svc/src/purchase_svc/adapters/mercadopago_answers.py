"""Reading Mercado Pago's answers: only the fields this service relies on, defensively (a junk
field becomes None, never an exception)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _amount(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


def _order_id(reference: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(reference))
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class PaymentSnapshot:
    """The fields of a fetched Mercado Pago payment this service relies on."""

    id: str
    order_id: uuid.UUID | None
    status: str
    status_detail: str | None
    amount: int | None
    currency: str | None
    refunded_amount: int
    date_last_updated: datetime | None

    @classmethod
    def from_api(cls, body: dict[str, Any]) -> PaymentSnapshot:
        return cls(
            id=str(body.get("id")),
            order_id=_order_id(body.get("external_reference")),
            status=str(body.get("status") or "unknown"),
            status_detail=body.get("status_detail"),
            amount=_amount(body.get("transaction_amount")),
            currency=body.get("currency_id"),
            refunded_amount=_amount(body.get("transaction_amount_refunded")) or 0,
            date_last_updated=_parse_time(body.get("date_last_updated")),
        )


def oldest_first(bodies: list[dict[str, Any]]) -> list[PaymentSnapshot]:
    """A payment search's results, the least recently updated first (so the latest applies last)."""
    ordered = sorted(bodies, key=lambda body: str(body.get("date_last_updated") or ""))
    return [PaymentSnapshot.from_api(body) for body in ordered]


def provider_refund_id(answer: dict[str, Any]) -> str | None:
    """The id Mercado Pago gave a refund it made, if its answer names one."""
    refund_id = answer.get("id")
    return str(refund_id) if refund_id is not None else None

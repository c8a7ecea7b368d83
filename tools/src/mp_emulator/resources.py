"""The emulator's resources: preferences, payments, refunds, merchant orders, chargebacks.

Only what Crowdify reads is modelled; the JSON shapes follow docs/integrations.md 1.2 and 1.6 to 1.9
(field names from the reference and the official SDK's test mocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mp_emulator.clock import mp_time, now

# The status_detail Mercado Pago pairs with each status when none is asked for.
DEFAULT_STATUS_DETAIL = {
    "approved": "accredited",
    "authorized": "pending_capture",
    "in_process": "pending_contingency",
    "in_mediation": "in_process",
    "pending": "pending_waiting_payment",
    "rejected": "cc_rejected_other_reason",
    "cancelled": "by_collector",
    "refunded": "refunded",
    "charged_back": "settled",
}
PAYMENT_STATUSES = frozenset(DEFAULT_STATUS_DETAIL)


@dataclass
class Preference:
    id: str
    body: dict[str, Any]  # the validated, defaulted preference as the API echoes it
    merchant_order_id: int | None = None

    @property
    def total_amount(self) -> int | float:
        return self.body["total_amount"]  # type: ignore[no-any-return]

    def back_url(self, outcome: str) -> str:
        return str((self.body.get("back_urls") or {}).get(outcome) or "")

    def to_json(self) -> dict[str, Any]:
        return dict(self.body)


@dataclass
class Refund:
    id: int
    payment_id: int
    amount: int | float
    idempotency_key: str | None
    source_type: str = "collector"
    created: datetime = field(default_factory=now)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "payment_id": self.payment_id,
            "amount": self.amount,
            "amount_refunded_to_payer": self.amount,
            "metadata": {},
            "source": {"id": "1", "name": "Emulator", "type": self.source_type},
            "date_created": mp_time(self.created),
            "unique_sequence_number": None,
            "refund_mode": "standard",
            "adjustment_amount": 0,
            "status": "approved",
            "reason": None,
            "labels": [],
            "partition_details": [],
        }


@dataclass
class Payment:
    id: int
    preference: Preference
    merchant_order_id: int
    collector_id: int
    status: str
    status_detail: str
    created: datetime = field(default_factory=now)
    approved: datetime | None = None
    last_updated: datetime = field(default_factory=now)
    refunds: list[Refund] = field(default_factory=list)
    chargeback_id: int | None = None

    @property
    def amount(self) -> int | float:
        return self.preference.total_amount

    @property
    def currency_id(self) -> str:
        items = self.preference.body["items"]
        return str(items[0].get("currency_id", "CLP"))

    @property
    def refunded_amount(self) -> int | float:
        return sum(refund.amount for refund in self.refunds)

    @property
    def external_reference(self) -> str | None:
        return self.preference.body.get("external_reference") or None

    def set_status(self, status: str, status_detail: str | None = None) -> None:
        self.status = status
        self.status_detail = status_detail or DEFAULT_STATUS_DETAIL.get(status, status)
        self.last_updated = now()
        if status == "approved" and self.approved is None:
            self.approved = self.last_updated

    def to_json(self) -> dict[str, Any]:
        pref = self.preference.body
        payer = pref.get("payer") or {}
        card = self.status not in {"pending"}
        return {
            "id": self.id,
            "date_created": mp_time(self.created),
            "date_approved": mp_time(self.approved),
            "date_last_updated": mp_time(self.last_updated),
            "date_of_expiration": None,
            "money_release_date": mp_time(self.approved),
            "operation_type": "regular_payment",
            "processing_mode": "aggregator",
            "issuer_id": "1" if card else None,
            "payment_method_id": "visa" if card else "servipag",
            "payment_type_id": "credit_card" if card else "ticket",
            "status": self.status,
            "status_detail": self.status_detail,
            "currency_id": self.currency_id,
            "description": pref["items"][0].get("title"),
            "live_mode": False,
            "collector_id": self.collector_id,
            "payer": {
                "id": "1234567",
                "type": None,
                "email": payer.get("email") or "test_user_cl@testuser.com",
                "identification": payer.get("identification") or {"type": None, "number": None},
                "first_name": payer.get("name"),
                "last_name": payer.get("surname"),
            },
            "metadata": dict(pref.get("metadata") or {}),
            "additional_info": {"items": pref["items"]},
            "order": {"id": str(self.merchant_order_id), "type": "mercadopago"},
            "external_reference": self.external_reference,
            "transaction_amount": self.amount,
            "transaction_amount_refunded": self.refunded_amount,
            "coupon_amount": 0,
            "installments": 1,
            "transaction_details": {
                "net_received_amount": self.amount if self.status == "approved" else 0,
                "total_paid_amount": self.amount,
                "overpaid_amount": 0,
                "installment_amount": self.amount,
                "external_resource_url": None,
                "financial_institution": None,
            },
            "fee_details": [],
            "captured": True,
            "binary_mode": bool(pref.get("binary_mode")),
            "statement_descriptor": pref.get("statement_descriptor"),
            "notification_url": pref.get("notification_url"),
            "refunds": [refund.to_json() for refund in self.refunds],
        }


@dataclass
class Chargeback:
    id: int
    payment: Payment
    created: datetime = field(default_factory=now)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "payments": [self.payment.id],
            "currency": self.payment.currency_id,
            "amount": self.payment.amount,
            "coverage_applied": False,
            "coverage_elegible": False,
            "documentation_required": True,
            "documentation_status": "pending",
            "documentation": [],
            "date_documentation_deadline": None,
            "date_created": mp_time(self.created),
            "date_last_updated": mp_time(self.created),
            "live_mode": False,
        }

"""``GET /merchant_orders/{id}``: one order per preference, gathering its payment attempts.

Status rules from docs/integrations.md 1.7: ``closed`` once the paid amount covers the total;
``order_status`` says paid / partially paid / reverted and so on.
"""

from __future__ import annotations

from typing import Any

from mp_emulator.clock import mp_time
from mp_emulator.resources import Payment, Preference

# Amounts that count as paid even after a refund (the refund shows in refunded_amount instead).
PAID = frozenset({"approved", "charged_back", "in_mediation", "refunded"})
IN_PROCESS = frozenset({"pending", "in_process", "authorized"})


def order_status(total: float, paid: float, refunded: float, payments: list[Payment]) -> str:
    if refunded and refunded >= paid:
        return "reverted"
    if refunded:
        return "partially_reverted"
    if paid >= total:
        return "paid"
    if paid:
        return "partially_paid"
    if any(p.status in IN_PROCESS for p in payments):
        return "payment_in_process"
    return "payment_required"


def render(
    order_id: int, preference: Preference, payments: list[Payment], collector_id: int
) -> dict[str, Any]:
    body = preference.body
    total = preference.total_amount
    paid = sum(p.amount for p in payments if p.status in PAID)
    refunded = sum(p.refunded_amount for p in payments)
    created = min((p.created for p in payments), default=None)
    updated = max((p.last_updated for p in payments), default=None)
    return {
        "id": order_id,
        "status": "closed" if payments and paid >= total else "opened",
        "order_status": order_status(total, paid, refunded, payments),
        "preference_id": preference.id,
        "external_reference": body.get("external_reference") or None,
        "site_id": "MLC",
        "collector": {"id": collector_id},
        "payer": None,
        "items": body["items"],
        "total_amount": total,
        "paid_amount": paid,
        "refunded_amount": refunded,
        "shipping_cost": 0,
        "cancelled": False,
        "notification_url": body.get("notification_url"),
        "marketplace": "NONE",
        "is_test": False,
        "shipments": [],
        "additional_info": "",
        "date_created": mp_time(created),
        "last_updated": mp_time(updated),
        "payments": [
            {
                "id": p.id,
                "transaction_amount": p.amount,
                "total_paid_amount": p.amount,
                "amount_refunded": p.refunded_amount,
                "currency_id": p.currency_id,
                "status": p.status,
                "status_detail": p.status_detail,
                "operation_type": "regular_payment",
                "date_approved": mp_time(p.approved),
                "date_created": mp_time(p.created),
                "last_modified": mp_time(p.last_updated),
            }
            for p in payments
        ],
    }

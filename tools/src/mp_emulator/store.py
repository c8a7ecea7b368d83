"""In-memory state and the operations that change it.

Every route is ``async`` and runs on uvicorn's single event loop, so the state needs no lock: no
operation here awaits, hence none can interleave with another.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any

from mp_emulator import preferences
from mp_emulator.clock import mp_time, now
from mp_emulator.errors import MPError, bad_request, cause, not_found
from mp_emulator.merchant_orders import render
from mp_emulator.resources import (
    DEFAULT_STATUS_DETAIL,
    Chargeback,
    Payment,
    Preference,
    Refund,
)
from mp_emulator.settings import EmulatorSettings

REFUNDABLE = frozenset({"approved"})
CANCELLABLE = frozenset({"pending", "in_process", "authorized"})


def invalid_state(payment: Payment, action: str) -> MPError:
    message = f"Invalid action {action!r} for the current payment state {payment.status!r}"
    return MPError(400, "bad_request", message, [cause(2063, message, str(payment.id))])


@dataclass(frozen=True)
class RefundResult:
    refund: Refund
    replayed: bool  # True: the idempotency key was seen before and the first refund is returned


class Store:
    def __init__(self, settings: EmulatorSettings) -> None:
        self._settings = settings
        self.reset()

    def reset(self) -> None:
        self.preferences: dict[str, Preference] = {}
        self.payments: dict[int, Payment] = {}
        self.chargebacks: dict[int, Chargeback] = {}
        self.merchant_orders: dict[int, Preference] = {}
        # X-Idempotency-Key -> (what was asked, the refund it made)
        self._refund_keys: dict[str, tuple[tuple[int, Any], Refund]] = {}
        # Ids look like Mercado Pago's (long integers) and never repeat, not even across restarts
        # of the emulator: services keep payments in their databases, and a reused id would look
        # like a payment that changed orders. Each run starts from the clock (a thousand ids per
        # second of uptime before two runs could meet), and ids stay below 2**53 for JavaScript.
        run = int(time.time()) % 10**9 * 1000
        self._payment_ids = itertools.count(10 * 10**12 + run)
        self._refund_ids = itertools.count(20 * 10**12 + run)
        self._order_ids = itertools.count(30 * 10**12 + run)
        self._chargeback_ids = itertools.count(40 * 10**12 + run)

    # -- preferences ---------------------------------------------------------------------------

    def create_preference(self, body: Any) -> Preference:
        preferences.validate(body)
        preference_id = f"{self._settings.collector_id}-{uuid.uuid4()}"
        built = preferences.build(
            body,
            preference_id=preference_id,
            base_url=self._settings.base_url,
            collector_id=self._settings.collector_id,
            client_id=self._settings.client_id,
            created=mp_time(now()),
        )
        preference = Preference(id=preference_id, body=built)
        self.preferences[preference_id] = preference
        return preference

    def update_preference(self, preference_id: str, changes: Any) -> Preference:
        preference = self.preference(preference_id)
        if not isinstance(changes, dict):
            raise bad_request("the body must be a JSON object")
        fixed = {"id", "init_point", "sandbox_init_point", "client_id", "collector_id", "date_created"}
        merged = {**preference.body, **{k: v for k, v in changes.items() if k not in fixed}}
        preferences.validate(merged)
        merged["total_amount"] = sum(item["quantity"] * item["unit_price"] for item in merged["items"])
        preference.body = merged
        return preference

    def preference(self, preference_id: str) -> Preference:
        preference = self.preferences.get(preference_id)
        if preference is None:
            raise not_found(f"The preference with identifier {preference_id} was not found", 1)
        return preference

    # -- payments ------------------------------------------------------------------------------

    def pay(self, preference: Preference, status: str, status_detail: str | None = None) -> Payment:
        """A buyer completes the checkout of ``preference`` with the given outcome."""
        if status not in ("approved", "rejected", "pending", "in_process"):
            raise bad_request(f"a checkout can end approved, rejected, pending or in_process, not {status!r}")
        if status in ("pending", "in_process") and preference.body.get("binary_mode"):
            raise bad_request("binary_mode preferences are only ever approved or rejected, never pending")
        if preferences.expired(preference.body, now()):
            raise bad_request("the preference has expired", "preference_expired")
        if preference.merchant_order_id is None:
            preference.merchant_order_id = next(self._order_ids)
            self.merchant_orders[preference.merchant_order_id] = preference
        payment = Payment(
            id=next(self._payment_ids),
            preference=preference,
            merchant_order_id=preference.merchant_order_id,
            collector_id=self._settings.collector_id,
            status=status,
            status_detail=status_detail or DEFAULT_STATUS_DETAIL[status],
        )
        if status == "approved":
            payment.approved = payment.created
        self.payments[payment.id] = payment
        return payment

    def payment(self, payment_id: str | int) -> Payment:
        payment = self.payments.get(int(payment_id)) if str(payment_id).isdigit() else None
        if payment is None:
            raise not_found("Payment not found", 2000, str(payment_id))
        return payment

    def update_payment(self, payment: Payment, changes: Any) -> Payment:
        """``PUT /v1/payments/{id}``: cancel a payment not yet approved, or capture an authorized one."""
        if not isinstance(changes, dict):
            raise bad_request("the body must be a JSON object")
        if changes.get("status") == "cancelled":
            if payment.status not in CANCELLABLE:
                raise invalid_state(payment, "cancel")
            payment.set_status("cancelled", "by_collector")
        elif changes.get("capture") is True:
            if payment.status != "authorized":
                raise invalid_state(payment, "capture")
            payment.set_status("approved")
        else:
            raise bad_request("the emulator only supports {'status': 'cancelled'} and {'capture': true}")
        return payment

    def force_status(self, payment: Payment, status: str, status_detail: str | None = None) -> Payment:
        """What happens outside the integration: an admin refund, a chargeback, a late approval."""
        if status not in DEFAULT_STATUS_DETAIL:
            raise bad_request(f"unknown payment status {status!r}")
        if status == "refunded":
            remaining = payment.amount - payment.refunded_amount
            if remaining > 0:
                payment.refunds.append(
                    Refund(next(self._refund_ids), payment.id, remaining, None, source_type="admin")
                )
        if status == "charged_back" and payment.chargeback_id is None:
            chargeback = Chargeback(next(self._chargeback_ids), payment)
            self.chargebacks[chargeback.id] = chargeback
            payment.chargeback_id = chargeback.id
        payment.set_status(status, status_detail)
        return payment

    # -- refunds -------------------------------------------------------------------------------

    def refund(self, payment: Payment, body: Any, idempotency_key: str | None) -> RefundResult:
        """Full refund without ``amount``, partial with it; replays the first answer per key."""
        if not idempotency_key:
            raise bad_request("the X-Idempotency-Key header is required", "idempotency_key_required")
        requested = body.get("amount") if isinstance(body, dict) else None
        fingerprint = (payment.id, requested)
        seen = self._refund_keys.get(idempotency_key)
        if seen is not None:
            if seen[0] != fingerprint:
                message = "the X-Idempotency-Key was already used for another request"
                raise MPError(409, "conflict", message, [cause("idempotency_key_already_used", message)])
            return RefundResult(seen[1], replayed=True)
        if body is not None and not isinstance(body, dict):
            raise bad_request("the body must be a JSON object")
        if payment.status not in REFUNDABLE:
            raise invalid_state(payment, "refund")
        remaining = payment.amount - payment.refunded_amount
        amount = remaining if requested is None else requested
        self._check_refund_amount(payment, amount, remaining)
        refund = Refund(next(self._refund_ids), payment.id, amount, idempotency_key)
        payment.refunds.append(refund)
        if payment.refunded_amount >= payment.amount:
            payment.set_status("refunded", "refunded")
        else:
            payment.set_status("approved", "partially_refunded")
        self._refund_keys[idempotency_key] = (fingerprint, refund)
        return RefundResult(refund, replayed=False)

    @staticmethod
    def _check_refund_amount(payment: Payment, amount: Any, remaining: int | float) -> None:
        if not preferences.is_number(amount) or amount <= 0:
            raise bad_request("amount must be a positive number", "invalid_amount")
        if payment.currency_id in preferences.INTEGER_CURRENCIES and not preferences.is_integer(amount):
            raise bad_request(f"amount must be an integer for {payment.currency_id}", "invalid_amount")
        if amount > remaining:
            message = f"the amount to refund ({amount}) exceeds what remains refundable ({remaining})"
            raise bad_request(message, "invalid_amount")

    def find_refund(self, payment: Payment, refund_id: str) -> Refund:
        refund = next((r for r in payment.refunds if str(r.id) == refund_id), None)
        if refund is None:
            raise not_found("Refund not found", 2000, refund_id)
        return refund

    # -- merchant orders and chargebacks -------------------------------------------------------

    def chargeback(self, chargeback_id: str) -> Chargeback:
        chargeback = self.chargebacks.get(int(chargeback_id)) if chargeback_id.isdigit() else None
        if chargeback is None:
            raise not_found("Chargeback not found", 404, chargeback_id)
        return chargeback

    def merchant_order(self, order_id: str) -> dict[str, Any]:
        preference = self.merchant_orders.get(int(order_id)) if order_id.isdigit() else None
        if preference is None:
            raise not_found(f"Merchant Order {order_id} not found", 404, order_id)
        payments = [p for p in self.payments.values() if p.merchant_order_id == int(order_id)]
        return render(int(order_id), preference, payments, self._settings.collector_id)

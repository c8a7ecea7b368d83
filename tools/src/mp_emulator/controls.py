"""Test knobs under ``/__emulator/`` (never part of real Mercado Pago; paths listed in docs/api.md).

  POST /__emulator/preferences/{preference_id}/pay  {"status", "status_detail"?, knobs...} -> pay, notify
  POST /__emulator/payments/{payment_id}/status      {"status", "status_detail"?, knobs...} -> change, notify
  POST /__emulator/payments/{payment_id}/notify      {knobs...} re-deliver the latest notification
  GET  /__emulator/notifications                     ?payment_id=&state=&action= deliveries and answers
  GET|POST /__emulator/config                        default knobs
  GET|POST /__emulator/outage                        {"enabled", "status", "remaining", "latency_seconds"}
  GET  /__emulator/payments                          every payment
  POST /__emulator/reset                             forget everything, default knobs

Knobs (body fields of pay/status/notify, or config): duplicates, delay_seconds, reorder,
notification_format (webhook|ipn|both), omit_request_id, uppercase_ids, retry_schedule.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from mp_emulator.emulator import Emulator, Outage
from mp_emulator.errors import MPError
from mp_emulator.knobs import KnobsIn
from mp_emulator.notifier import Delivery
from mp_emulator.resources import PAYMENT_STATUSES


class PayIn(KnobsIn):
    status: Literal["approved", "rejected", "pending", "in_process"] = "approved"
    status_detail: str | None = None


class StatusIn(KnobsIn):
    status: str  # refunded | charged_back | approved, or any other Mercado Pago payment status
    status_detail: str | None = None


class OutageIn(BaseModel):
    enabled: bool = True
    status: int = Field(default=503, ge=500, le=599)
    remaining: int | None = Field(default=None, ge=1)
    latency_seconds: float = Field(default=0.0, ge=0, le=120)


def _ids(deliveries: list[Delivery]) -> list[int]:
    return [delivery.id for delivery in deliveries]


def controls_router(emu: Emulator) -> APIRouter:
    router = APIRouter(prefix="/__emulator")
    store, notifier = emu.store, emu.notifier

    @router.post("/preferences/{preference_id}/pay")
    async def pay(preference_id: str, spec: PayIn | None = None) -> dict[str, Any]:
        spec = spec or PayIn()
        knobs = notifier.knobs.merged(spec)
        payment, deliveries = emu.pay(preference_id, spec.status, spec.status_detail, knobs)
        return {
            "payment_id": payment.id,
            "status": payment.status,
            "status_detail": payment.status_detail,
            "merchant_order_id": payment.merchant_order_id,
            "external_reference": payment.external_reference,
            "deliveries": _ids(deliveries),
        }

    @router.post("/payments/{payment_id}/status")
    async def change_status(payment_id: str, spec: StatusIn) -> dict[str, Any]:
        if spec.status not in PAYMENT_STATUSES:
            raise MPError(400, "bad_request", f"status must be one of {sorted(PAYMENT_STATUSES)}")
        payment = store.force_status(store.payment(payment_id), spec.status, spec.status_detail)
        deliveries = emu.updated(payment, notifier.knobs.merged(spec))
        return {
            "payment_id": payment.id,
            "status": payment.status,
            "status_detail": payment.status_detail,
            "deliveries": _ids(deliveries),
        }

    @router.post("/payments/{payment_id}/notify")
    async def notify_again(payment_id: str, spec: KnobsIn | None = None) -> dict[str, Any]:
        payment = store.payment(payment_id)
        last = notifier.last(payment.id)
        if last is None:
            raise MPError(409, "conflict", "this payment has had no notification (is notification_url set?)")
        deliveries = notifier.deliver([last], notifier.knobs.merged(spec))
        return {
            "payment_id": payment.id,
            "notification_id": last.id,
            "action": last.action,
            "deliveries": _ids(deliveries),
        }

    @router.get("/notifications")
    async def notifications(
        payment_id: int | None = None, state: str | None = None, action: str | None = None
    ) -> dict[str, Any]:
        found = [
            d.to_json()
            for d in notifier.deliveries
            if payment_id in (None, d.notification.payment_id)
            and state in (None, d.state)
            and action in (None, d.notification.action)
        ]
        return {"deliveries": found}

    @router.get("/config")
    async def get_config() -> dict[str, Any]:
        return notifier.knobs.to_json()

    @router.post("/config")
    async def set_config(spec: KnobsIn) -> dict[str, Any]:
        notifier.knobs = notifier.knobs.merged(spec)
        return notifier.knobs.to_json()

    @router.get("/outage")
    async def get_outage() -> dict[str, Any]:
        return emu.outage.to_json()

    @router.post("/outage")
    async def set_outage(spec: OutageIn) -> dict[str, Any]:
        emu.outage = Outage(**spec.model_dump())
        return emu.outage.to_json()

    @router.get("/payments")
    async def payments() -> dict[str, Any]:
        return {"results": [payment.to_json() for payment in store.payments.values()]}

    @router.post("/reset")
    async def reset() -> dict[str, str]:
        emu.reset()
        return {"status": "reset"}

    return router

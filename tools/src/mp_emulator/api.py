"""The Mercado Pago API surface the official SDK calls (paths and shapes per docs/integrations.md 1.2-1.9).

  POST /checkout/preferences                      -> 201 preference (init_point on this emulator)
  GET  /checkout/preferences/{id}    PUT ... (update)
  GET  /v1/payments/search                        ?external_reference=&status=&sort=&criteria=&limit=&offset=
  GET  /v1/payments/{id}             PUT ... {"status": "cancelled"} | {"capture": true}
  POST /v1/payments/{id}/refunds                  X-Idempotency-Key; no body = full, {"amount": n} = partial
  GET  /v1/payments/{id}/refunds     GET /v1/payments/{id}/refunds/{refund_id}
  GET  /merchant_orders/{id}
  GET  /v1/chargebacks/{id}          GET /v1/chargebacks/search?payment_id=

Every call needs ``Authorization: Bearer <any token>`` and answers the outage switch first.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, Request

from mp_emulator.emulator import Emulator
from mp_emulator.errors import MPError, bad_request, cause
from mp_emulator.search import search

OUTAGE_ERRORS = {
    500: "internal_server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


async def json_body(request: Request) -> Any:
    """The parsed body, ``None`` when empty (the SDK sends no body for a full refund)."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise bad_request("the body is not valid JSON", "invalid_json") from None


def api_router(emu: Emulator) -> APIRouter:
    async def guard(request: Request) -> None:
        outage = emu.outage
        if outage.latency_seconds:
            await asyncio.sleep(outage.latency_seconds)
        if outage.enabled:
            if outage.remaining is not None:
                outage.remaining -= 1
                outage.enabled = outage.remaining > 0
            error = OUTAGE_ERRORS.get(outage.status, "internal_server_error")
            raise MPError(outage.status, error, "emulated outage", [cause(outage.status, error)])
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not (scheme.lower() == "bearer" and token.strip()) and not request.query_params.get(
            "access_token"
        ):
            message = "Must provide your access_token to proceed"
            raise MPError(401, "unauthorized", message, [cause(5, message)])

    router = APIRouter(dependencies=[Depends(guard)])
    store = emu.store

    @router.post("/checkout/preferences", status_code=201)
    async def create_preference(request: Request) -> dict[str, Any]:
        return store.create_preference(await json_body(request)).to_json()

    @router.get("/checkout/preferences/{preference_id}")
    async def get_preference(preference_id: str) -> dict[str, Any]:
        return store.preference(preference_id).to_json()

    @router.put("/checkout/preferences/{preference_id}")
    async def update_preference(preference_id: str, request: Request) -> dict[str, Any]:
        return store.update_preference(preference_id, await json_body(request)).to_json()

    @router.get("/v1/payments/search")
    async def search_payments(request: Request) -> dict[str, Any]:
        return search(store.payments.values(), request.query_params)

    @router.get("/v1/payments/{payment_id}")
    async def get_payment(payment_id: str) -> dict[str, Any]:
        return store.payment(payment_id).to_json()

    @router.put("/v1/payments/{payment_id}")
    async def update_payment(payment_id: str, request: Request) -> dict[str, Any]:
        payment = store.update_payment(store.payment(payment_id), await json_body(request))
        emu.updated(payment)
        return payment.to_json()

    @router.post("/v1/payments/{payment_id}/refunds", status_code=201)
    async def create_refund(payment_id: str, request: Request) -> dict[str, Any]:
        payment = store.payment(payment_id)
        result = store.refund(payment, await json_body(request), request.headers.get("x-idempotency-key"))
        if not result.replayed:
            emu.updated(payment)
        return result.refund.to_json()

    @router.get("/v1/payments/{payment_id}/refunds")
    async def list_refunds(payment_id: str) -> list[dict[str, Any]]:
        return [refund.to_json() for refund in store.payment(payment_id).refunds]

    @router.get("/v1/payments/{payment_id}/refunds/{refund_id}")
    async def get_refund(payment_id: str, refund_id: str) -> dict[str, Any]:
        return store.find_refund(store.payment(payment_id), refund_id).to_json()

    @router.get("/merchant_orders/{order_id}")
    async def get_merchant_order(order_id: str) -> dict[str, Any]:
        return store.merchant_order(order_id)

    @router.get("/v1/chargebacks/search")
    async def search_chargebacks(payment_id: str | None = None) -> dict[str, Any]:
        found = [c.to_json() for c in store.chargebacks.values() if payment_id in (None, str(c.payment.id))]
        return {"paging": {"total": len(found), "limit": len(found), "offset": 0}, "results": found}

    @router.get("/v1/chargebacks/{chargeback_id}")
    async def get_chargeback(chargeback_id: str) -> dict[str, Any]:
        return store.chargeback(chargeback_id).to_json()

    return router

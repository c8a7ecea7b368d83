"""The outage switch: every Mercado Pago API call answers 5xx JSON, the knobs keep working."""

from __future__ import annotations

import pytest
from mercadopago.errors.exceptions import MPServerError


async def test_outage_makes_every_api_call_fail_until_switched_off(mp, http) -> None:
    _, payment_id = await mp.paid("approved")
    state = await mp.control.outage(enabled=True, status=503)
    assert state == {"enabled": True, "status": 503, "remaining": None, "latency_seconds": 0.0}

    for answer in (
        await mp.call(mp.sdk.payment().get, payment_id),
        await mp.call(mp.sdk.payment().search, {"status": "approved"}),
        await mp.create(mp.body()),
        await mp.call(mp.sdk.refund().create, payment_id),
    ):
        assert answer["status"] == 503
        assert answer["response"]["error"] == "service_unavailable" and answer["response"]["status"] == 503
        with pytest.raises(MPServerError):
            answer.raise_for_status()
    assert (await http.get("/health")).status_code == 200  # not part of the API
    assert (await http.get("/__emulator/outage")).json()["enabled"] is True

    await mp.control.outage(enabled=False)
    assert (await mp.call(mp.sdk.payment().get, payment_id))["status"] == 200


async def test_outage_can_fail_a_few_calls_then_recover(mp) -> None:
    _, payment_id = await mp.paid("approved")
    await mp.control.outage(status=500, remaining=2)

    statuses = [(await mp.call(mp.sdk.payment().get, payment_id))["status"] for _ in range(3)]

    assert statuses == [500, 500, 200]


async def test_outage_comes_before_authentication(emulator_url, control) -> None:
    import httpx

    await control.outage(status=502)
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        answer = await client.get("/v1/payments/1")
    assert answer.status_code == 502 and answer.json()["error"] == "bad_gateway"


async def test_unknown_routes_answer_json(http, control) -> None:
    answer = await http.get("/v1/nothing-here")
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"

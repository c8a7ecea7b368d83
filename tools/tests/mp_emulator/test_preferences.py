"""POST/GET/PUT /checkout/preferences through the official SDK: shape, validation, auth."""

from __future__ import annotations

import re

import httpx
import pytest
from mercadopago.errors.exceptions import MPBadRequestError


async def test_create_answers_201_with_mercado_pago_shape(mp, emulator_url: str) -> None:
    body = mp.body()
    with pytest.warns(DeprecationWarning, match="notification_url"):  # the SDK's own warning
        answer = await mp.call(mp.sdk.preference().create, body)

    assert answer["status"] == 201
    pref = answer["response"]
    assert re.fullmatch(r"\d+-[0-9a-f-]{36}", pref["id"])
    assert pref["init_point"] == f"{emulator_url}/checkout/v1/redirect?pref_id={pref['id']}"
    assert pref["sandbox_init_point"]
    assert pref["total_amount"] == 30000 and isinstance(pref["total_amount"], int)
    assert pref["date_created"] and pref["collector_id"] and pref["client_id"]
    for name in ("external_reference", "notification_url", "back_urls", "auto_return", "binary_mode",
                 "statement_descriptor", "metadata", "payer"):  # fmt: skip
        assert pref[name] == body[name], name
    assert pref["items"][0]["unit_price"] == 15000 and pref["items"][0]["currency_id"] == "CLP"


async def test_get_and_update_round_trip(mp) -> None:
    pref = await mp.preference()

    fetched = await mp.call(mp.sdk.preference().get, pref["id"])
    assert fetched["status"] == 200 and fetched["response"] == pref

    changed = await mp.call(mp.sdk.preference().update, pref["id"], {"statement_descriptor": "OTRO"})
    assert changed["status"] == 200 and changed["response"]["statement_descriptor"] == "OTRO"
    assert changed["response"]["init_point"] == pref["init_point"]


async def test_unknown_preference_is_a_json_404(mp) -> None:
    answer = await mp.call(mp.sdk.preference().get, "1234567890-00000000-0000-0000-0000-000000000000")
    assert answer["status"] == 404
    assert answer["response"]["error"] == "not_found" and answer["response"]["status"] == 404
    assert isinstance(answer["response"]["cause"], list)


def _item(**changes):
    return [{"title": "Entrada", "quantity": 1, "currency_id": "CLP", "unit_price": 15000, **changes}]


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"items": _item(unit_price=15000.5)}, "invalid_items", "items[0].unit_price"),
        (
            {"items": _item(unit_price=15000.0)},
            "invalid_items",
            "items[0].unit_price",
        ),  # a float, even if whole
        ({"items": _item(unit_price=0)}, "invalid_items", "items[0].unit_price"),
        ({"items": _item(quantity=0)}, "invalid_items", "items[0].quantity"),
        ({"items": _item(title="")}, "invalid_items", "items[0].title"),
        ({"items": _item(currency_id="EUR")}, "invalid_items", "items[0].currency_id"),
        ({"items": []}, "invalid_items", "items"),
        ({"items": None}, "invalid_items", "items"),
        ({"external_reference": "x" * 65}, "invalid_external_reference", "external_reference"),
        ({"external_reference": "ord[1]"}, "invalid_external_reference", "external_reference"),
        ({"notification_url": "https://h.cl/" + "a" * 236}, "invalid_notification_url", "notification_url"),
        ({"statement_descriptor": "X" * 17}, "invalid_statement_descriptor", "statement_descriptor"),
        ({"back_urls": {}, "auto_return": "approved"}, "invalid_auto_return", "auto_return"),
        (
            {"expires": True, "expiration_date_to": "mañana"},
            "invalid_expiration_date_to",
            "expiration_date_to",
        ),
        (
            {"payment_methods": {"installments": 48}},
            "invalid_payment_methods",
            "payment_methods.installments",
        ),
        ({"binary_mode": "yes"}, "invalid_binary_mode", "binary_mode"),
    ],
)
async def test_invalid_preferences_are_400_with_causes(mp, changes, error, field) -> None:
    answer = await mp.create(mp.body(notify=False, **changes))

    assert answer["status"] == 400, answer
    body = answer["response"]
    assert set(body) == {"message", "error", "status", "cause"}
    assert body["status"] == 400 and body["error"] == error and body["message"]
    assert (body["cause"][0]["code"], body["cause"][0]["data"]) == (error, field)
    with pytest.raises(MPBadRequestError):
        answer.raise_for_status()


async def test_limits_are_inclusive(mp) -> None:
    pref = await mp.preference(
        external_reference="A-b_9" * 12 + "abcd",  # 64 characters
        notification_url="https://h.cl/" + "a" * 235,  # 248 characters
        statement_descriptor="X" * 16,
    )
    assert len(pref["external_reference"]) == 64 and len(pref["notification_url"]) == 248


async def test_every_problem_is_listed(mp) -> None:
    body = mp.body(notify=False, items=_item(unit_price=1.5, quantity=0), statement_descriptor="X" * 40)
    answer = await mp.create(body)
    assert [c["data"] for c in answer["response"]["cause"]] == [
        "items[0].quantity", "items[0].unit_price", "statement_descriptor",
    ]  # fmt: skip


async def test_a_body_that_is_not_json_is_400(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/checkout/preferences", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_json"


@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic abc", "TEST-token-without-scheme"])
async def test_calls_without_a_bearer_token_are_401(emulator_url: str, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with httpx.AsyncClient(base_url=emulator_url, headers=headers) as client:
        answer = await client.get("/v1/payments/search")
    assert answer.status_code == 401
    assert answer.json() == {
        "message": "Must provide your access_token to proceed",
        "error": "unauthorized",
        "status": 401,
        "cause": [{"code": 5, "description": "Must provide your access_token to proceed", "data": None}],
    }

"""``POST /api/v1/purchases`` takes its own lane through the app and reads its request itself: it
keeps what every other route gets (request id, CORS, the latency metric, problem+json) and
refuses what FastAPI refused, each invalid field named, nothing stored."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.integration.test_buyer_input import stored_orders
from tests.integration.test_order_saga import order_body

ORDERS = "/api/v1/purchases"


def _fields(answer) -> set[str]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "validation_error"
    return {error["field"] for error in problem["errors"]}


async def test_every_invalid_field_of_an_order_is_named_in_one_422(client, bearer, event_svc, settings):
    sale = await event_svc.on_sale()
    buyer = f"buyer-{uuid.uuid4()}"
    body = order_body(sale, quantity=0)
    del body["buyer"]

    answer = await client.post(ORDERS, params={"wait": 11}, json=body, headers=bearer(sub=buyer))

    assert _fields(answer) == {"query.wait", "body.buyer", "body.items.0.quantity"}
    assert await stored_orders(settings, buyer) == []


@pytest.mark.parametrize(
    ("content", "content_type", "field"),
    [
        (b'{"event_id": ', "application/json", "body"),
        (b"", "application/json", "body"),
        (b"[]", "application/json", "body"),
        (None, "text/plain", "body"),  # a valid order, but not sent as JSON
    ],
)
async def test_a_body_that_is_not_an_order_in_json_is_a_422(
    client, bearer, event_svc, settings, content, content_type, field
):
    sale = await event_svc.on_sale()
    buyer = f"buyer-{uuid.uuid4()}"
    sent = content if content is not None else json.dumps(order_body(sale)).encode()
    headers = {**bearer(sub=buyer), "Content-Type": content_type}

    answer = await client.post(ORDERS, content=sent, headers=headers)

    assert _fields(answer) == {field}
    assert await stored_orders(settings, buyer) == []


async def test_an_order_json_typed_as_a_json_subtype_is_taken(client, bearer, event_svc):
    sale = await event_svc.on_sale()
    headers = {**bearer(), "Content-Type": "application/vnd.crowdify+json; charset=utf-8"}

    answer = await client.post(
        ORDERS, params={"wait": 0}, content=json.dumps(order_body(sale)).encode(), headers=headers
    )

    assert answer.status_code == 202, answer.text


async def test_an_order_without_a_token_is_401_before_its_body_is_read(client):
    answer = await client.post(ORDERS, content=b"not json")

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


async def test_an_order_answers_with_its_request_id_cors_and_its_place_in_the_metric(
    client, bearer, event_svc
):
    def counted(metrics: str) -> float:
        for line in metrics.splitlines():
            name, _, value = line.rpartition(" ")
            labels = (f'route="{ORDERS}"', 'status="202"', 'method="POST"')
            if name.startswith("crowdify_http_request_duration_seconds_count") and all(
                label in name for label in labels
            ):
                return float(value)
        return 0.0

    sale = await event_svc.on_sale()
    before = counted((await client.get("/metrics")).text)

    answer = await client.post(
        ORDERS,
        params={"wait": 0},
        json=order_body(sale),
        headers={**bearer(), "X-Request-ID": "compra-1", "Origin": "http://localhost:5173"},
    )

    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"{ORDERS}/{answer.json()['id']}"
    assert answer.headers["x-request-id"] == "compra-1"
    assert answer.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "location" in answer.headers["access-control-expose-headers"].lower()
    assert counted((await client.get("/metrics")).text) == before + 1


async def test_the_order_route_still_documents_its_body_parameters_and_answers(client):
    document = (await client.get("/openapi.json")).json()
    operation = document["paths"][ORDERS]["post"]

    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/OrderIn"}
    schemas = document["components"]["schemas"]
    assert {"OrderIn", "Buyer", "OrderItemIn", "Attendee", "ChildDetails"} <= set(schemas)
    assert {p["name"] for p in operation["parameters"]} == {"wait", "idempotency-key"}
    assert {"201", "202", "401", "422", "429"} <= set(operation["responses"])

"""Odd input never reaches the database: NUL, unpaired surrogates, integers PostgreSQL cannot hold
and huge pages answer 422 problems (they were 500s), and an event sells in one currency."""

from __future__ import annotations

import json

from crowdify.inputs import INT32_MAX, MAX_PAGE
from crowdify.testing.inputs import unguarded_inputs
from event_svc.main import create_app
from tests.api.test_events_api import STARTS, add_type, bearer, new_event


def raw_json(body: dict) -> bytes:
    # json.dumps escapes a lone surrogate as "\ud800", exactly as a client can send it.
    return json.dumps(body).encode()


def assert_problem(response, status: int = 422) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_every_string_and_integer_of_the_api_uses_the_shared_input_types(settings):
    assert unguarded_inputs(create_app(settings)) == []


async def test_nul_and_unpaired_surrogates_in_names_are_refused(client, settings):
    admin = {**bearer(settings, "admin"), "Content-Type": "application/json"}
    for name in ("Fiesta\x00", "Fiesta \ud800"):
        body = {"name": name, "starts_at": STARTS}
        assert_problem(await client.post("/api/v1/events", content=raw_json(body), headers=admin))
    event = await new_event(client, settings)
    for field, value in (("name", "Cancha \udc00"), ("description", "a\x00b")):
        body = {"name": "Cancha", "price": 1000, "capacity": 10, field: value}
        answer = await client.post(
            f"/api/v1/events/{event['id']}/ticket-types", content=raw_json(body), headers=admin
        )
        assert_problem(answer)
    shown = await client.get(f"/api/v1/events/{event['id']}", headers=admin)
    assert shown.json()["ticket_types"] == []


async def test_search_with_nul_and_huge_pages_are_422(client):
    assert_problem(await client.get("/api/v1/events?search=%00"))
    assert_problem(await client.get("/api/v1/events", params={"page": MAX_PAGE + 1}))
    assert_problem(await client.get("/api/v1/events", params={"page": 10**30}))
    assert (await client.get("/api/v1/events", params={"page": MAX_PAGE})).json()["items"] == []


async def test_capacities_and_prices_must_fit_the_database(client, settings):
    admin = bearer(settings, "admin")
    too_big = {"name": "Enorme", "starts_at": STARTS, "capacity": INT32_MAX + 1}
    assert_problem(await client.post("/api/v1/events", json=too_big, headers=admin))
    event = await new_event(client, settings, capacity=INT32_MAX)
    for field in ("price", "capacity"):
        body = {"name": "Cancha", "price": 1000, "capacity": 10, field: 10**20}
        answer = await client.post(f"/api/v1/events/{event['id']}/ticket-types", json=body, headers=admin)
        assert_problem(answer)
    ticket_type = await add_type(client, settings, event["id"], price=INT32_MAX, capacity=INT32_MAX)
    patch = await client.patch(
        f"/api/v1/events/{event['id']}/ticket-types/{ticket_type['id']}",
        json={"capacity": INT32_MAX + 1},
        headers=admin,
    )
    assert_problem(patch)


async def test_an_event_sells_in_one_currency(client, settings):
    event = await new_event(client, settings)
    await add_type(client, settings, event["id"], currency="CLP")
    answer = await client.post(
        f"/api/v1/events/{event['id']}/ticket-types",
        json={"name": "VIP", "price": 100, "capacity": 5, "currency": "USD"},
        headers=bearer(settings, "admin"),
    )
    assert_problem(answer)
    assert answer.json()["code"] == "mixed_currencies"
    await add_type(client, settings, event["id"], name="Platea", currency="CLP")


async def test_moments_that_do_not_exist_in_utc_are_422(client, settings):
    # Found by schemathesis: an offset pushing the moment before year 1 was a 500.
    admin = bearer(settings, "admin")
    for starts_at in ("0001-01-01T00:00:00+00:01", "9999-12-31T23:59:00-01:00"):
        body = {"name": "Fuera de rango", "starts_at": starts_at}
        assert_problem(await client.post("/api/v1/events", json=body, headers=admin))
    assert_problem(await client.get("/api/v1/events", params={"from": "0001-01-01T00:00:00+05:00"}))
    assert_problem(await new_event_answer(client, settings, sales_end="9999-12-31T23:00:00-03:00"))


async def new_event_answer(client, settings, **fields):
    body = {"name": "Fuera de rango", "starts_at": STARTS, **fields}
    return await client.post("/api/v1/events", json=body, headers=bearer(settings, "admin"))

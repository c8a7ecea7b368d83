"""What a buyer types into an order cannot aim our emails elsewhere or break the database: emails
go to the account's verified address, names lose links and control characters, NUL and unpaired
surrogates are 422, and one order is paid in one currency."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.inputs import MAX_PAGE
from crowdify.testing.inputs import unguarded_inputs
from purchase_svc.adapters.tables import catalog_events, orders
from purchase_svc.main import create_app
from tests.integration.test_order_saga import order_body


async def stored_orders(settings, user_id: str) -> list[dict]:
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            rows = (await uow.session.execute(select(orders).where(orders.c.user_id == user_id))).mappings()
            return [dict(r) for r in rows]
    finally:
        await engine.dispose()


def test_every_string_and_integer_of_the_api_uses_the_shared_input_types(settings):
    assert unguarded_inputs(create_app(settings)) == []


async def test_emails_go_to_the_accounts_verified_address_only(platform, client, bearer, event_svc, settings):
    sale = await event_svc.on_sale()
    buyer = f"buyer-{uuid.uuid4()}"
    elsewhere = order_body(sale)
    elsewhere["buyer"]["email"] = "victima@example.com"
    refused = await client.post("/api/v1/purchases", json=elsewhere, headers=bearer(sub=buyer))
    assert refused.status_code == 422 and refused.json()["code"] == "buyer_email_not_verified"
    assert await stored_orders(settings, buyer) == []

    no_email = await client.post(
        "/api/v1/purchases", json=order_body(sale), headers=bearer(sub=buyer, email=None)
    )
    assert no_email.status_code == 422 and no_email.json()["code"] == "verified_email_required"

    unstated = order_body(sale)
    del unstated["buyer"]["email"]
    placed = await client.post(
        "/api/v1/purchases", json=unstated, headers=bearer(sub=buyer, email="Ana.Soto@Example.com")
    )
    assert placed.status_code == 201, placed.text
    same_in_other_case = order_body(sale, quantity=1)
    same_in_other_case["buyer"]["email"] = "ana.soto@example.com"
    again = await client.post(
        "/api/v1/purchases", json=same_in_other_case, headers=bearer(sub=buyer, email="Ana.Soto@Example.com")
    )
    assert again.status_code == 201, again.text
    assert {o["buyer_email"] for o in await stored_orders(settings, buyer)} == {"Ana.Soto@example.com"}


async def test_seeded_test_domain_accounts_can_buy_in_development(platform, client, bearer, event_svc):
    sale = await event_svc.on_sale()
    body = order_body(sale)
    body["buyer"]["email"] = "buyer@crowdify.test"
    placed = await client.post(
        "/api/v1/purchases",
        json=body,
        headers=bearer(sub=f"seed-{uuid.uuid4()}", email="buyer@crowdify.test"),
    )
    assert placed.status_code == 201, placed.text


async def test_names_lose_links_and_control_characters_and_nul_is_refused(
    platform, client, bearer, event_svc, settings
):
    sale = await event_svc.on_sale()
    buyer = f"buyer-{uuid.uuid4()}"
    phishing = order_body(sale)
    phishing["buyer"]["name"] = "Hola cliente.\r\nTu cuenta fue bloqueada, verifica en http://evil.example/x"
    placed = await client.post("/api/v1/purchases", json=phishing, headers=bearer(sub=buyer))
    assert placed.status_code == 201, placed.text
    [stored] = await stored_orders(settings, buyer)
    assert stored["buyer_name"] == "Hola cliente. Tu cuenta fue bloqueada, verifica en"

    headers = {**bearer(sub=buyer), "Content-Type": "application/json"}
    for field, value in (("name", "Ana\x00"), ("name", "Ana \ud800"), ("email", "ana@example.com\x00")):
        body = order_body(sale)
        body["buyer"][field] = value
        answer = await client.post("/api/v1/purchases", content=json.dumps(body).encode(), headers=headers)
        assert answer.status_code == 422, (field, value, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    only_a_link = order_body(sale)
    only_a_link["buyer"]["name"] = "www.evil.example"
    assert (
        await client.post("/api/v1/purchases", json=only_a_link, headers=bearer(sub=buyer))
    ).status_code == 422
    assert len(await stored_orders(settings, buyer)) == 1


async def test_an_order_cannot_mix_currencies(client, bearer, settings):
    """An event from before one currency per event was enforced, as the catalogue replica has it."""
    event_id, clp, usd = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def ticket_type(type_id: uuid.UUID, currency: str) -> dict:
        return {
            "id": str(type_id),
            "name": currency,
            "price": 1000,
            "currency": currency,
            "max_per_order": 10,
        }

    snapshot = {"id": str(event_id), "ticket_types": [ticket_type(clp, "CLP"), ticket_type(usd, "USD")]}
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            await uow.session.execute(
                catalog_events.insert().values(
                    id=event_id, status="published", snapshot=snapshot, as_of=datetime.now(UTC)
                )
            )
    finally:
        await engine.dispose()
    body = {
        "event_id": str(event_id),
        "buyer": {"name": "Ana"},
        "items": [{"ticket_type_id": str(clp), "quantity": 1}, {"ticket_type_id": str(usd), "quantity": 1}],
    }
    answer = await client.post("/api/v1/purchases", json=body, headers=bearer())
    assert answer.status_code == 422 and answer.json()["code"] == "mixed_currencies"


async def test_pages_are_bounded(client, bearer):
    for path in ("/api/v1/purchases", "/api/v1/tickets"):
        assert (await client.get(path, params={"page": 10**30}, headers=bearer())).status_code == 422
        assert (await client.get(path, params={"page": MAX_PAGE + 1}, headers=bearer())).status_code == 422
        assert (await client.get(path, params={"page": MAX_PAGE}, headers=bearer())).status_code == 200
    nul = await client.get("/api/v1/purchases?user_id=%00", headers=bearer(role="admin", sub="a"))
    assert nul.status_code == 422

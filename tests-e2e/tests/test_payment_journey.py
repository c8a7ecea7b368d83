"""The whole purchase: order through the gateway, pay on the Mercado Pago emulator, read the
order paid with signed tickets, refund one ticket as an admin."""

from __future__ import annotations

import httpx
import pytest

from crowdify.testing import wait_until
from crowdify.tickets import InvalidTicketCode, KeyRing, verify_ticket
from tests.conftest import bearer
from tests.test_catalogue_journey import publish_event
from tests.test_purchase_journey import order

MP_EMULATOR = "http://localhost:8200"


async def test_order_pay_read_tickets_and_refund_one(gateway, login):
    admin = await login("admin@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=10)
    buyer = await login("buyer@crowdify.test")

    placed = await gateway.post("/api/v1/purchases", json=order(event_id, type_id, 2), headers=bearer(buyer))
    assert placed.status_code == 201 and placed.json()["status"] == "awaiting_payment", placed.text
    order_id = placed.json()["id"]
    preference_id = placed.json()["payment_link"].split("pref_id=")[1]

    async with httpx.AsyncClient(base_url=MP_EMULATOR, timeout=10) as mp:
        paid = await mp.post(f"/__emulator/preferences/{preference_id}/pay", json={"status": "approved"})
        assert paid.status_code == 200, paid.text

    async def read() -> dict:
        return (await gateway.get(f"/api/v1/purchases/{order_id}", headers=bearer(buyer))).json()

    async def is_paid() -> bool:
        return (await read())["status"] == "paid"

    await wait_until(is_paid, within=15, message="the order is paid")
    tickets = (await read())["tickets"]
    assert len(tickets) == 2
    assert all(t["status"] == "valid" and t["qr_payload"].startswith("CF1.") for t in tickets)
    mine = await gateway.get("/api/v1/tickets", headers=bearer(buyer))
    assert {t["id"] for t in tickets} <= {t["id"] for t in mine.json()["items"]}

    refund = await gateway.post(
        f"/api/v1/purchases/{order_id}/refunds",
        json={"ticket_ids": [tickets[0]["id"]], "reason": "no puede asistir"},
        headers=bearer(admin),
    )
    assert refund.status_code in (200, 201), refund.text
    after = await read()
    assert after["status"] == "partially_refunded"
    by_id = {t["id"]: t["status"] for t in after["tickets"]}
    assert by_id == {tickets[0]["id"]: "revoked", tickets[1]["id"]: "valid"}
    ticket = await gateway.get(f"/api/v1/tickets/{tickets[0]['id']}", headers=bearer(buyer))
    assert ticket.json()["status"] == "revoked"


async def _paid_order(gateway, login, capacity: int = 10) -> tuple[str, str, str]:
    admin = await login("admin@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=capacity)
    buyer = await login("buyer@crowdify.test")
    placed = (
        await gateway.post("/api/v1/purchases", json=order(event_id, type_id, 2), headers=bearer(buyer))
    ).json()
    async with httpx.AsyncClient(base_url=MP_EMULATOR, timeout=10) as mp:
        await mp.post(
            f"/__emulator/preferences/{placed['payment_link'].split('pref_id=')[1]}/pay",
            json={"status": "approved"},
        )

    async def is_paid() -> bool:
        read = await gateway.get(f"/api/v1/purchases/{placed['id']}", headers=bearer(buyer))
        return read.json()["status"] == "paid"

    await wait_until(is_paid, within=15, message="the order is paid")
    return event_id, placed["id"], buyer


async def test_an_admin_cancels_a_paid_order_and_it_is_refunded_in_full(gateway, login):
    _, order_id, buyer = await _paid_order(gateway, login)
    admin = await login("admin@crowdify.test")
    assert (
        await gateway.post(f"/api/v1/purchases/{order_id}/cancel", headers=bearer(buyer))
    ).status_code == 409
    cancelled = await gateway.post(f"/api/v1/purchases/{order_id}/cancel", headers=bearer(admin))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "refunded"
    assert {t["status"] for t in cancelled.json()["tickets"]} == {"revoked"}


async def test_cancelling_an_event_refunds_every_paid_order(gateway, login):
    event_id, order_id, buyer = await _paid_order(gateway, login)
    admin = await login("admin@crowdify.test")
    cancelled = await gateway.post(
        f"/api/v1/events/{event_id}/cancel", json={"reason": "lluvia"}, headers=bearer(admin)
    )
    assert cancelled.status_code == 200

    async def refunded() -> bool:
        read = await gateway.get(f"/api/v1/purchases/{order_id}", headers=bearer(buyer))
        return read.json()["status"] == "refunded"

    await wait_until(refunded, within=20, message="the paid order was refunded")


async def test_scanners_get_the_public_ticket_keys(gateway, login):
    scanner = await login("scanner@crowdify.test")
    keys = await gateway.get("/api/v1/tickets/keys", headers=bearer(scanner))
    assert keys.status_code == 200
    assert all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and "d" not in k for k in keys.json()["keys"])
    buyer = await login("buyer@crowdify.test")
    assert (await gateway.get("/api/v1/tickets/keys", headers=bearer(buyer))).status_code == 403


async def test_a_bought_ticket_is_admitted_once_and_revoked_after_a_refund(gateway, login):
    event_id, order_id, buyer = await _paid_order(gateway, login)
    scanner = await login("scanner@crowdify.test")
    admin = await login("admin@crowdify.test")
    ticket = (await gateway.get(f"/api/v1/purchases/{order_id}", headers=bearer(buyer))).json()["tickets"][0]

    async def scan(gate: str) -> dict:
        response = await gateway.post(
            "/api/v1/validation/scan",
            json={"qr_payload": ticket["qr_payload"], "event_id": event_id, "gate": gate, "direction": "in"},
            headers=bearer(scanner),
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def admitted() -> bool:
        # The ticket reaches validation-svc through the broker a moment after payment.
        return (await scan("norte"))["result"] != "invalid"

    await wait_until(admitted, within=15, message="validation-svc knows the ticket")
    second = await scan("sur")
    assert second["result"] == "already_used" and second["first_entry_gate"] == "norte"
    assert second["first_entry_at"]

    refund = await gateway.post(
        f"/api/v1/purchases/{order_id}/refunds",
        json={"ticket_ids": [ticket["id"]], "reason": "reembolso"},
        headers=bearer(admin),
    )
    assert refund.status_code == 201, refund.text

    async def revoked() -> bool:
        return (await scan("norte"))["result"] == "revoked"

    await wait_until(revoked, within=15, message="the refunded ticket is revoked at the door")


async def test_a_scanner_verifies_a_bought_ticket_offline_with_a_key_from_the_manifest(gateway, login):
    """What a door phone does when the venue's network drops: everything it needs came with the
    manifest it downloaded earlier; the check itself touches no network."""
    event_id, order_id, buyer = await _paid_order(gateway, login)
    scanner = await login("scanner@crowdify.test")
    tickets = (await gateway.get(f"/api/v1/purchases/{order_id}", headers=bearer(buyer))).json()["tickets"]

    async def manifest_lists_the_tickets() -> dict | None:
        response = await gateway.get(
            f"/api/v1/validation/events/{event_id}/manifest", headers=bearer(scanner)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        listed = {t["id"] for t in body["tickets"]}
        return body if {t["id"] for t in tickets} <= listed else None

    manifest = await wait_until(
        manifest_lists_the_tickets, within=15, message="the manifest lists the tickets"
    )
    assert all("d" not in key for key in manifest["keys"])  # public keys only

    offline_keys = KeyRing.from_jwks({"keys": manifest["keys"]})
    by_id = {t["id"]: t for t in manifest["tickets"]}
    for ticket in tickets:
        claims = verify_ticket(ticket["qr_payload"], offline_keys)
        assert str(claims.ticket_id) == ticket["id"]
        assert by_id[ticket["id"]]["status"] == "valid"
    # One character of the signed claims changed (a forged ticket id, say): the signature fails.
    prefix, kid, claims_text, signature = tickets[0]["qr_payload"].split(".")
    forged_claims = ("B" if claims_text[0] != "B" else "C") + claims_text[1:]
    with pytest.raises(InvalidTicketCode):
        verify_ticket(".".join((prefix, kid, forged_claims, signature)), offline_keys)

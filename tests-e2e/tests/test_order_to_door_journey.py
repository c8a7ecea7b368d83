"""The whole journey, order to door, as people live it: a buyer signed in with Supabase (an ES256
token from the auth emulator) orders and pays on Mercado Pago, receives one email with the PDF,
the QR read off that PDF gets in once, a refund revokes it at the door and is emailed too; an
event cancelled with several paid orders tells every buyer."""

from __future__ import annotations

import io
import uuid

import httpx
import jwt
import pypdfium2
import zxingcpp

from crowdify.testing import wait_until
from crowdify.testing.mail_sink import MailSinkClient
from tests.conftest import bearer
from tests.test_catalogue_journey import publish_event
from tests.test_purchase_journey import buyer_token

MP_EMULATOR = "http://localhost:8200"
MAIL_SINK = "http://127.0.0.1:8025"


def qr_codes_of(pdf: bytes) -> list[str]:
    """Rasterise each page as a phone camera would see it and decode its QR code."""
    texts = []
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    for page in document:
        image = page.render(scale=3).to_pil()
        texts += [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    return texts


async def inbox(address: str) -> list[dict]:
    async with MailSinkClient(MAIL_SINK) as sink:
        return await sink.to(address)


async def attachment(message: dict, part: dict) -> bytes:
    async with MailSinkClient(MAIL_SINK) as sink:
        return await sink.attachment(message, message["attachments"].index(part))


async def buy_and_pay(gateway, buyer_token: str, event_id: str, type_id: str, quantity: int) -> str:
    placed = await gateway.post(
        "/api/v1/purchases",
        params={"wait": 10},
        json={
            "event_id": event_id,
            "buyer": {"name": "Ana Pérez"},
            "items": [{"ticket_type_id": type_id, "quantity": quantity}],
        },
        headers={**bearer(buyer_token), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "awaiting_payment", order
    async with httpx.AsyncClient(base_url=MP_EMULATOR, timeout=10) as mp:
        paid = await mp.post(
            f"/__emulator/preferences/{order['payment_link'].split('pref_id=')[1]}/pay",
            json={"status": "approved"},
        )
        assert paid.status_code == 200, paid.text

    async def is_paid() -> bool:
        read = await gateway.get(f"/api/v1/purchases/{order['id']}", headers=bearer(buyer_token))
        return read.json()["status"] == "paid"

    await wait_until(is_paid, within=20, message="the order is paid")
    return str(order["id"])


async def test_buy_pay_email_pdf_scan_refund_revoked(gateway, login, sign_up):
    admin = await login("admin@crowdify.test")
    email = f"ana.{uuid.uuid4().hex[:10]}@example.com"
    buyer = await sign_up(email)  # the emails go to the account's address
    assert jwt.get_unverified_header(buyer)["alg"] == "ES256"  # a Supabase session, not a backend token
    scanner = await login("scanner@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=10)
    order_id = await buy_and_pay(gateway, buyer, event_id, type_id, quantity=2)
    tickets = (await gateway.get(f"/api/v1/purchases/{order_id}", headers=bearer(buyer))).json()["tickets"]

    # One email, in Spanish, with the PDF attached: a page per ticket, each QR the ticket's code.
    async def tickets_email() -> list[dict]:
        return await inbox(email)

    [message] = await wait_until(tickets_email, within=30, message="the tickets email arrives")
    pdfs = [part for part in message["attachments"] if part["contentType"] == "application/pdf"]
    assert len(pdfs) == 1, message["attachments"]
    codes = qr_codes_of(await attachment(message, pdfs[0]))
    assert sorted(codes) == sorted(t["qr_payload"] for t in tickets)

    # The same PDF from the API, to its owner only.
    own = await gateway.get(f"/api/v1/purchases/{order_id}/pdf", headers=bearer(buyer))
    assert own.status_code == 200 and own.headers["content-type"].startswith("application/pdf")
    # Each ticket of the order links its own PDF.
    one = await gateway.get(tickets[0]["pdf_url"], headers=bearer(buyer))
    assert one.status_code == 200 and qr_codes_of(one.content) == [tickets[0]["qr_payload"]]
    stranger = buyer_token(7)  # another buyer: the documents do not exist for them
    for path in (f"/api/v1/purchases/{order_id}/pdf", f"/api/v1/tickets/{tickets[0]['id']}/pdf"):
        assert (await gateway.get(path, headers=bearer(stranger))).status_code == 404
    assert (await gateway.get(f"/api/v1/purchases/{order_id}/pdf", headers=bearer(admin))).status_code == 200

    # At the door, with the code read off the paper ticket.
    async def scan(gate: str) -> dict:
        response = await gateway.post(
            "/api/v1/validation/scan",
            json={"qr_payload": codes[0], "event_id": event_id, "gate": gate, "direction": "in"},
            headers=bearer(scanner),
        )
        assert response.status_code == 200, response.text
        return response.json()

    first = await scan("norte")
    assert first["result"] == "admitted", first
    again = await scan("sur")
    assert again["result"] == "already_used" and again["first_entry_gate"] == "norte"

    # An admin refunds that ticket: revoked at the door, and the buyer is told.
    scanned_id = next(t["id"] for t in tickets if t["qr_payload"] == codes[0])
    refund = await gateway.post(
        f"/api/v1/purchases/{order_id}/refunds",
        json={"ticket_ids": [scanned_id], "reason": "reembolso"},
        headers=bearer(admin),
    )
    assert refund.status_code == 201, refund.text

    async def revoked() -> bool:
        return (await scan("norte"))["result"] == "revoked"

    await wait_until(revoked, within=15, message="the refunded ticket is revoked at the door")

    async def refund_email() -> bool:
        return len(await inbox(email)) == 2

    await wait_until(refund_email, within=30, message="the refund email arrives")
    kinds = (
        await gateway.get("/api/v1/notifications", params={"order_id": order_id}, headers=bearer(admin))
    ).json()
    assert sorted(item["kind"] for item in kinds["items"]) == sorted(["tickets", "refund"]), kinds


async def test_a_cancelled_event_with_several_paid_orders_tells_every_buyer(gateway, login, sign_up):
    admin = await login("admin@crowdify.test")
    event_id, type_id = await publish_event(gateway, admin, capacity=10)
    emails = [f"fan{n}.{uuid.uuid4().hex[:8]}@example.com" for n in range(3)]
    buyers = [await sign_up(email) for email in emails]
    orders = [await buy_and_pay(gateway, buyer, event_id, type_id, quantity=1) for buyer in buyers]

    # The buyers hold their tickets before the cancellation. (A tickets email still waiting for its
    # PDF when the refund comes is withdrawn instead, rightly: those tickets no longer open the
    # door. That case has its own test in notification-svc.)
    async def tickets_delivered() -> list[int]:
        counts = [len(await inbox(email)) for email in emails]
        return counts if counts == [1] * len(emails) else []

    await wait_until(tickets_delivered, within=30, message="every buyer got the tickets email")

    cancelled = await gateway.post(f"/api/v1/events/{event_id}/cancel", json={}, headers=bearer(admin))
    assert cancelled.status_code == 200, cancelled.text

    async def all_refunded() -> bool:
        reads = [
            await gateway.get(f"/api/v1/purchases/{o}", headers=bearer(b))
            for o, b in zip(orders, buyers, strict=True)
        ]
        return all(r.json()["status"] == "refunded" for r in reads)

    await wait_until(all_refunded, within=30, message="every paid order is refunded")

    told: list[int] = []

    async def everyone_told() -> bool:
        # Each buyer: the tickets email, then exactly one about the cancellation.
        told[:] = [len(await inbox(email)) for email in emails]
        return told == [2] * len(emails)

    try:
        await wait_until(everyone_told, within=30, message="every buyer got the cancellation email")
    except AssertionError as missed:
        raise AssertionError(f"{missed}; emails per buyer: {told}") from None
    for order_id in orders:
        listed = (
            await gateway.get("/api/v1/notifications", params={"order_id": order_id}, headers=bearer(admin))
        ).json()
        assert sorted(item["kind"] for item in listed["items"]) == ["event_cancelled", "tickets"], listed

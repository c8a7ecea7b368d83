"""The checkout page behind init_point: it renders the order and its buttons pay for real."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx
import pytest

from mp_emulator.checkout import money


def forms(page: str) -> dict[str, dict[str, str]]:
    """The page's forms, by outcome: what a browser would submit for each button."""
    found = {}
    for form in re.findall(r"<form .*?</form>", page, re.S):
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
        found[fields["outcome"]] = {"action": re.search(r'action="([^"]+)"', form)[1], **fields}
    return found


async def open_checkout(pref) -> str:
    """What a buyer's browser shows at the preference's init_point."""
    async with httpx.AsyncClient() as client:
        page = await client.get(pref["init_point"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    return page.text


async def press(pref, button: dict[str, str]) -> httpx.Response:
    """Submit a button's form, as the browser would (relative action, form-encoded)."""
    fields = dict(button)
    async with httpx.AsyncClient() as client:
        return await client.post(urljoin(pref["init_point"], fields.pop("action")), data=fields)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (15000, "CLP", "$15.000"),
        (1234567, "CLP", "$1.234.567"),
        (990, "CLP", "$990"),
        (1500.5, "BRL", "$1.500,50"),
    ],
)
def test_money_is_formatted_for_chile(amount, currency, text) -> None:
    assert money(amount, currency) == text


async def test_the_page_shows_items_and_total_in_clp(mp) -> None:
    pref = await mp.preference(binary_mode=True)
    page = await open_checkout(pref)

    assert '<html lang="es-CL">' in page
    assert "Entrada General" in page and "$15.000" in page
    assert re.search(r'id="total">\$30\.000<', page)
    assert pref["external_reference"] in page
    assert set(forms(page)) == {"approved", "rejected"}  # binary_mode: no pending button


async def test_approve_pays_notifies_and_returns_to_the_success_url(mp) -> None:
    pref = await mp.preference()
    answer = await press(pref, forms(await open_checkout(pref))["approved"])

    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == "https://crowdify.test/checkout/ok"
    params = dict(parse_qsl(target.query))
    payment_id = int(params["payment_id"])
    assert params["lang"] == "es"  # the back_url's own query survives
    assert params["status"] == params["collection_status"] == "approved"
    assert params["collection_id"] == str(payment_id)
    assert params["external_reference"] == pref["external_reference"]
    assert params["preference_id"] == pref["id"]
    payment = (await mp.call(mp.sdk.payment().get, payment_id))["response"]
    assert payment["status"] == "approved" and params["merchant_order_id"] == str(payment["order"]["id"])
    created, _ = await mp.receiver.wait_for(2)
    assert created.params["data.id"] == str(payment_id)


async def test_reject_returns_to_the_failure_url(mp) -> None:
    pref = await mp.preference(binary_mode=False)
    buttons = forms(await open_checkout(pref))
    assert set(buttons) == {"approved", "rejected", "pending"}

    answer = await press(pref, buttons["rejected"])

    target = urlsplit(answer.headers["location"])
    assert target.path == "/checkout/fail"
    assert dict(parse_qsl(target.query))["status"] == "rejected"
    (created, *_) = await mp.receiver.wait_for(1)
    assert created.body["action"] == "payment.created"


async def test_without_back_urls_the_result_is_shown_in_place(mp) -> None:
    pref = await mp.preference(back_urls={}, auto_return="")
    answer = await press(pref, forms(await open_checkout(pref))["approved"])

    assert answer.status_code == 200 and "aprobado" in answer.text


async def test_unknown_or_expired_links(mp, emulator_url) -> None:
    expired = await mp.preference(
        expires=True,
        expiration_date_from="2020-01-01T10:00:00.000-04:00",
        expiration_date_to="2020-01-01T10:15:00.000-04:00",
    )
    async with httpx.AsyncClient(base_url=emulator_url) as client:
        unknown = await client.get("/checkout/v1/redirect", params={"pref_id": "nope"})
        stale = await client.get("/checkout/v1/redirect", params={"pref_id": expired["id"]})
        forced = await client.post("/checkout/v1/pay", data={"pref_id": expired["id"], "outcome": "approved"})

    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]
    assert "expiró" in stale.text and not forms(stale.text)
    assert forced.status_code == 400

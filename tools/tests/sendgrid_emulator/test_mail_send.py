"""The emulator's wire protocol, checked with raw HTTP: what SendGrid's v3 Mail Send answers
(202 and X-Message-Id, 401/400/413 with its error JSON), sandbox mode, and the inspection
and outage endpoints. The official SDK drives it in notification-svc's tests."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from sendgrid_emulator.app import create_app
from sendgrid_emulator.settings import DEV_API_KEY, EmulatorSettings

KEY = {"Authorization": f"Bearer {DEV_API_KEY}"}


def _mail(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "personalizations": [{"to": [{"email": "ana@example.cl", "name": "Ana"}]}],
        "from": {"email": "no-reply@crowdify.cl", "name": "Crowdify"},
        "subject": "Tus entradas",
        "content": [{"type": "text/plain", "value": "Hola"}, {"type": "text/html", "value": "<p>Hola</p>"}],
        "attachments": [
            {
                "content": base64.b64encode(b"%PDF").decode(),
                "filename": "entradas.pdf",
                "type": "application/pdf",
            }
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(EmulatorSettings(api_keys=f"{DEV_API_KEY},SG.second", max_message_bytes=4096))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sendgrid"
    ) as client:
        yield client


async def test_an_accepted_mail_is_202_with_an_empty_body_and_a_message_id(http: httpx.AsyncClient) -> None:
    answer = await http.post("/v3/mail/send", json=_mail(), headers=KEY)
    assert (answer.status_code, answer.content) == (202, b"")
    message_id = answer.headers["x-message-id"]
    [stored] = (await http.get("/__emulator/messages", params={"to": "ANA@example.cl"})).json()["messages"]
    assert stored["id"] == message_id and stored["body"] == _mail()
    assert (await http.get("/__emulator/messages", params={"to": "other@example.cl"})).json() == {
        "messages": []
    }
    second_key = await http.post("/v3/mail/send", json=_mail(), headers={"Authorization": "Bearer SG.second"})
    assert second_key.status_code == 202
    assert (await http.delete("/__emulator/messages")).status_code == 204
    assert (await http.get("/__emulator/messages")).json() == {"messages": []}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "authorization required"),
        (
            {"Authorization": "Bearer SG.wrong"},
            "The provided authorization grant is invalid, expired, or revoked",
        ),
        (
            {"Authorization": f"Basic {DEV_API_KEY}"},
            "The provided authorization grant is invalid, expired, or revoked",
        ),
    ],
)
async def test_a_missing_or_wrong_key_is_401_in_sendgrids_shape(
    http: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    answer = await http.post("/v3/mail/send", json=_mail(), headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"errors": [{"message": message, "field": None, "help": None}]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"personalizations": []}, "personalizations"),
        ({"personalizations": [{"to": []}]}, "personalizations.0.to"),
        ({"personalizations": [{"to": [{"email": "not-an-address"}]}]}, "personalizations.0.to.0.email"),
        (
            {"personalizations": [{"to": [{"email": "a@b.cl", "name": "Pérez, Ana"}]}]},
            "personalizations.0.to.0.name",
        ),
        ({"from": {"name": "no address"}}, "from.email"),
        ({"subject": ""}, "subject"),
        ({"content": []}, "content"),
        ({"content": [{"type": "text/plain", "value": ""}]}, "content.0.value"),
        ({"attachments": [{"content": "not base64!", "filename": "x.pdf"}]}, "attachments.0.content"),
        ({"attachments": [{"content": "JVBERg=="}]}, "attachments.0.filename"),
        ({"reply_to": {"email": "a@b.cl"}, "reply_to_list": [{"email": "a@b.cl"}]}, "reply_to"),
    ],
)
async def test_a_malformed_mail_is_400_naming_the_field(
    http: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    answer = await http.post("/v3/mail/send", json=_mail(**changes), headers=KEY)
    assert answer.status_code == 400
    errors = answer.json()["errors"]
    assert field in [e["field"] for e in errors]
    assert all(set(e) == {"message", "field", "help"} and e["message"] for e in errors)
    assert (await http.get("/__emulator/messages")).json() == {"messages": []}


async def test_a_subject_in_every_personalization_replaces_the_top_level_one(http: httpx.AsyncClient) -> None:
    body = _mail(personalizations=[{"to": [{"email": "a@b.cl"}], "subject": "Hola"}])
    del body["subject"]
    assert (await http.post("/v3/mail/send", json=body, headers=KEY)).status_code == 202


async def test_unreadable_json_and_oversized_mail(http: httpx.AsyncClient) -> None:
    garbled = await http.post(
        "/v3/mail/send", content=b"{nope", headers={**KEY, "content-type": "application/json"}
    )
    assert (garbled.status_code, garbled.json()["errors"][0]["message"]) == (400, "Bad Request")
    big = _mail(content=[{"type": "text/plain", "value": "x" * 5000}])
    assert (await http.post("/v3/mail/send", json=big, headers=KEY)).status_code == 413


async def test_sandbox_mode_validates_without_sending(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/v3/mail/send", json=_mail(mail_settings={"sandbox_mode": {"enable": True}}), headers=KEY
    )
    assert answer.status_code == 200
    assert (await http.get("/__emulator/messages")).json() == {"messages": []}


async def test_an_outage_answers_503_until_it_is_switched_off(http: httpx.AsyncClient) -> None:
    assert (await http.post("/__emulator/outage", json={"status": 503})).json() == {"outage_status": 503}
    down = await http.post("/v3/mail/send", json=_mail(), headers=KEY)
    assert down.status_code == 503 and down.json()["errors"]
    await http.post("/__emulator/outage", json={"enabled": False})
    assert (await http.post("/v3/mail/send", json=_mail(), headers=KEY)).status_code == 202

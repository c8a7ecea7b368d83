"""Door devices: a scanner token scoped to one event, revocable."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from sqlalchemy import func, select

from crowdify.db import create_engine
from tests.door import Door
from validation_svc.adapters.tables import devices
from validation_svc.settings import ValidationSettings

pytestmark = pytest.mark.integration


async def test_device_token_scans_only_its_event_until_revoked(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event_a = await door.event()
    event_b = await door.event()
    _, [(_, code_a)] = await door.issue(event_a)
    _, [(_, code_b)] = await door.issue(event_b)

    assert (
        await door.client.post(
            "/api/v1/validation/devices",
            json={"name": "Puerta 1", "event_id": str(event_a)},
            headers=bearer("scanner"),
        )
    ).status_code == 403
    response = await door.client.post(
        "/api/v1/validation/devices",
        json={"name": "Puerta 1", "event_id": str(event_a)},
        headers=bearer("coordinator"),
    )
    assert response.status_code == 201, response.text
    device = response.json()
    headers = {"Authorization": f"Bearer {device['token']}"}

    def scan(code: str, event_id: uuid.UUID):
        return door.client.post(
            "/api/v1/validation/scan",
            json={"qr_payload": code, "event_id": str(event_id), "gate": "norte"},
            headers=headers,
        )

    wrong = await scan(code_b, event_b)
    assert wrong.status_code == 403
    ok = await scan(code_a, event_a)
    assert ok.status_code == 200 and ok.json()["result"] == "admitted"
    manifest = await door.client.get(f"/api/v1/validation/events/{event_a}/manifest", headers=headers)
    assert manifest.status_code == 200
    other = await door.client.get(f"/api/v1/validation/events/{event_b}/manifest", headers=headers)
    assert other.status_code == 403

    revoked = await door.client.delete(f"/api/v1/validation/devices/{device['id']}", headers=bearer("admin"))
    assert revoked.status_code == 204
    after = await scan(code_a, event_a)
    assert after.status_code == 401
    assert (
        await door.client.get(f"/api/v1/validation/events/{event_a}/manifest", headers=headers)
    ).status_code == 401
    missing = await door.client.delete(f"/api/v1/validation/devices/{uuid.uuid4()}", headers=bearer("admin"))
    assert missing.status_code == 404


def decode_svg_qr(svg: str) -> list[str]:
    """Draw the SVG's unit squares (qrcode's path image) as a screen would, and read the QR code."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))  # type: ignore[union-attr]
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in re.findall(r"M(\d+),(\d+)H", svg):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + scale - 1, top + scale - 1], fill=0)
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


async def test_registering_a_device_yields_an_enrolment_link_and_its_qr(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event = await door.event()
    response = await door.client.post(
        "/api/v1/validation/devices",
        json={"name": "Puerta Norte", "event_id": str(event)},
        headers=bearer("admin"),
    )
    assert response.status_code == 201, response.text
    device = response.json()
    # The token rides in the fragment, which browsers never send to a server.
    assert device["enrolment_url"] == f"http://localhost:8000/scanner/#token={device['token']}"
    assert device["enrolment_qr_svg"].startswith("<svg")
    assert decode_svg_qr(device["enrolment_qr_svg"]) == [device["enrolment_url"]]


async def test_a_retried_enrolment_with_the_same_idempotency_key_makes_one_device(
    door: Door, bearer: Callable[..., dict[str, str]], settings: ValidationSettings
) -> None:
    event_id = await door.event()
    headers = {**bearer("coordinator"), "Idempotency-Key": str(uuid.uuid4())}
    body = {"name": "Puerta sur", "event_id": str(event_id)}

    first = await door.client.post("/api/v1/validation/devices", json=body, headers=headers)
    retried = await door.client.post("/api/v1/validation/devices", json=body, headers=headers)
    assert first.status_code == retried.status_code == 201, retried.text
    assert retried.json() == first.json()
    assert retried.headers["Idempotent-Replayed"] == "true"
    other_body = await door.client.post(
        "/api/v1/validation/devices", json={**body, "name": "Puerta norte"}, headers=headers
    )
    assert other_body.status_code == 409
    assert other_body.json()["code"] == "idempotency_key_reused"

    engine = create_engine(settings.database_url, settings.db_schema)
    try:
        async with engine.connect() as conn:
            enrolled = await conn.scalar(
                select(func.count()).select_from(devices).where(devices.c.event_id == event_id)
            )
    finally:
        await engine.dispose()
    assert enrolled == 1


async def test_an_events_devices_are_listed_with_their_last_scan_and_revocation(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event = await door.event(staff=("door-1", "ana"))
    other = await door.event(staff=("door-1", "ana"))
    ana, bruno = bearer("coordinator", sub="ana"), bearer("coordinator", sub="bruno")
    _, [(_, code)] = await door.issue(event)

    async def register(name: str, event_id: uuid.UUID) -> dict[str, Any]:
        response = await door.client.post(
            "/api/v1/validation/devices", json={"name": name, "event_id": str(event_id)}, headers=ana
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    north, south = await register("Puerta Norte", event), await register("Puerta Sur", event)
    await register("Otra puerta", other)
    scanned = await door.client.post(
        "/api/v1/validation/scan",
        json={"qr_payload": code, "event_id": str(event), "gate": "norte"},
        headers={"Authorization": f"Bearer {north['token']}"},
    )
    assert scanned.status_code == 200 and scanned.json()["result"] == "admitted"
    assert (
        await door.client.delete(f"/api/v1/validation/devices/{south['id']}", headers=ana)
    ).status_code == 204

    path = f"/api/v1/validation/events/{event}/devices"
    listed = await door.client.get(path, headers=ana)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["total"], page["page"], page["page_size"]) == (2, 1, 50)
    by_name = {d["name"]: d for d in page["items"]}
    assert [d["name"] for d in page["items"]] == ["Puerta Sur", "Puerta Norte"], "newest first"
    assert by_name["Puerta Norte"]["id"] == north["id"]
    assert (by_name["Puerta Norte"]["gate"], by_name["Puerta Norte"]["revoked"]) == ("norte", False)
    seen = datetime.fromisoformat(by_name["Puerta Norte"]["last_seen_at"])
    assert abs(seen - datetime.now(UTC)) < timedelta(minutes=1)
    assert by_name["Puerta Norte"]["revoked_at"] is None
    assert by_name["Puerta Sur"]["revoked"] is True and by_name["Puerta Sur"]["revoked_at"]
    assert (by_name["Puerta Sur"]["last_seen_at"], by_name["Puerta Sur"]["gate"]) == (None, None)
    assert datetime.fromisoformat(by_name["Puerta Norte"]["expires_at"]) == datetime.fromisoformat(
        north["expires_at"]
    )
    assert all("token" not in d for d in page["items"]), "tokens are never listed"

    second = (await door.client.get(path, params={"page": 2, "page_size": 1}, headers=ana)).json()
    assert (second["total"], [d["name"] for d in second["items"]]) == (2, ["Puerta Norte"])
    assert (await door.client.get(path, headers=bearer("admin", sub="root"))).status_code == 200
    refused = await door.client.get(path, headers=bruno)
    assert (refused.status_code, refused.json()["code"]) == (404, "event_not_found")
    assert (await door.client.get(path, headers=bearer("scanner"))).status_code == 403
    assert (await door.client.get(path, params={"page_size": 101}, headers=ana)).status_code == 422
    assert (await door.client.get(path, params={"page": 0}, headers=ana)).status_code == 422

"""Door devices: a scanner token scoped to one event, revocable."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from tests.door import Door

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

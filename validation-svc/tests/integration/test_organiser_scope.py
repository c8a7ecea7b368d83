"""Organiser scope at the door: a coordinator reads the manifest and attendance of, and registers
and revokes devices for, only the events they are staff of (404 for any other); admins for all."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.door import Door, register_device


async def test_a_coordinator_of_event_a_gets_404_for_event_b_on_every_scoped_route(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event_a = await door.event(staff=("ana",))
    event_b = await door.event(staff=("bruno",))
    ana, bruno = bearer("coordinator", sub="ana"), bearer("coordinator", sub="bruno")
    await door.issue(event_a)
    await door.issue(event_b)
    device_b = await door.client.post(
        "/api/v1/validation/devices", json={"name": "Puerta B", "event_id": str(event_b)}, headers=bruno
    )
    assert device_b.status_code == 201, device_b.text

    for path in (
        f"/api/v1/validation/events/{event_b}/stats",
        f"/api/v1/validation/events/{event_b}/manifest",
    ):
        refused = await door.client.get(path, headers=ana)
        assert (refused.status_code, refused.json()["code"]) == (404, "event_not_found"), path
        assert (await door.client.get(path, headers=bruno)).status_code == 200, path
        assert (await door.client.get(path, headers=bearer("admin", sub="root"))).status_code == 200, path
        assert (
            await door.client.get(path.replace(str(event_b), str(event_a)), headers=ana)
        ).status_code == 200
    refused = await door.client.post(
        "/api/v1/validation/devices", json={"name": "Intrusa", "event_id": str(event_b)}, headers=ana
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "event_not_found")
    unknown = await door.client.post(
        "/api/v1/validation/devices", json={"name": "Nada", "event_id": str(uuid.uuid4())}, headers=ana
    )
    assert unknown.status_code == 404
    not_hers = await door.client.delete(f"/api/v1/validation/devices/{device_b.json()['id']}", headers=ana)
    assert (not_hers.status_code, not_hers.json()["code"]) == (404, "device_not_found")
    assert (
        await door.client.delete(f"/api/v1/validation/devices/{device_b.json()['id']}", headers=bruno)
    ).status_code == 204
    # Admins register devices for any event.
    await register_device(door.client, bearer("admin", sub="root"), event_b)

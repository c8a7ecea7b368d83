"""Offline scans uploaded later: the earliest scan wins, conflicts are reported, re-sends are no-ops."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.door import Door

pytestmark = pytest.mark.integration


async def sync(
    door: Door, event_id: uuid.UUID, device: str, scans: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    response = await door.client.post(
        "/api/v1/validation/sync",
        json={"device_id": device, "event_id": str(event_id), "scans": scans},
        headers=door.headers,
    )
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def offline(code: str, gate: str, at: datetime, local_result: str = "admitted") -> dict[str, Any]:
    return {
        "scan_id": str(uuid.uuid4()),
        "qr_payload": code,
        "gate": gate,
        "direction": "in",
        "scanned_at": at.isoformat(),
        "local_result": local_result,
    }


async def test_same_ticket_admitted_offline_at_two_gates_earliest_wins(door: Door) -> None:
    event_id = await door.event()
    _, [(_, code)] = await door.issue(event_id)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    late = offline(code, "sur", t0 + timedelta(minutes=2))
    early = offline(code, "norte", t0)

    # The later scan reaches the server first: it is admitted for now...
    [first] = await sync(door, event_id, "phone-sur", [late])
    assert (first["result"], first["conflict"]) == ("admitted", False)
    # ...then the earlier one arrives and takes the first entry over.
    [second] = await sync(door, event_id, "phone-norte", [early])
    assert (second["result"], second["conflict"]) == ("admitted", False)
    assert second["first_entry_gate"] == "norte"
    assert datetime.fromisoformat(second["first_entry_at"]) == t0

    # Online, the ticket is used, first entered at the gate of the earliest scan.
    online = await door.scan(code, event_id, gate="este")
    assert online["result"] == "already_used"
    assert online["first_entry_gate"] == "norte"

    # A third device that admitted it later is told about the conflict.
    [third] = await sync(door, event_id, "phone-3", [offline(code, "oeste", t0 + timedelta(minutes=5))])
    assert (third["result"], third["conflict"]) == ("already_used", True)

    # Re-sending changes nothing and gets the same answers.
    again = await sync(door, event_id, "phone-norte", [early])
    assert again == [second]


async def test_one_device_batch_is_decided_in_scan_order_and_failed_scans_are_logged(door: Door) -> None:
    event_id = await door.event()
    _, [(_, code), (_, other)] = await door.issue(event_id, 2)
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    batch = [
        offline(code, "norte", t0 + timedelta(minutes=1), local_result="already_used"),
        offline(code, "norte", t0),
        offline(
            other[:-2] + ("AA" if not other.endswith("AA") else "BB"), "norte", t0, local_result="invalid"
        ),
    ]
    results = await sync(door, event_id, "phone-1", batch)
    assert [r["result"] for r in results] == ["already_used", "admitted", "invalid"]
    assert [r["conflict"] for r in results] == [False, False, False]
    assert (await door.scan(other, event_id))["result"] == "admitted"

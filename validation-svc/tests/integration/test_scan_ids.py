"""A scan_id belongs to the caller that sent it: another device replaying it gets a verdict of its
own, and the same caller reusing it for another ticket or event is refused with 409."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.door import Door, register_device

pytestmark = pytest.mark.integration


async def scan(door: Door, headers: dict[str, str], code: str, event_id: uuid.UUID, **extra: Any) -> Any:
    return await door.client.post(
        "/api/v1/validation/scan",
        json={"qr_payload": code, "event_id": str(event_id), **extra},
        headers=headers,
    )


async def sync(door: Door, headers: dict[str, str], event_id: uuid.UUID, scans: list[dict[str, Any]]) -> Any:
    return await door.client.post(
        "/api/v1/validation/sync",
        json={"device_id": "phone", "event_id": str(event_id), "scans": scans},
        headers=headers,
    )


def offline(code: str, scan_id: str, at: datetime) -> dict[str, Any]:
    return {"scan_id": scan_id, "qr_payload": code, "gate": "norte", "scanned_at": at.isoformat()}


async def test_another_device_replaying_a_scan_id_gets_its_own_verdict(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event_a, event_b = await door.event(), await door.event()
    _, [(ticket_a, code_a)] = await door.issue(event_a)
    _, [(ticket_b, code_b)] = await door.issue(event_b)
    device_a = await register_device(door.client, bearer("coordinator"), event_a)
    device_b = await register_device(door.client, bearer("coordinator"), event_b)
    scan_id = "scan-0001"

    first = await scan(door, device_a, code_a, event_a, scan_id=scan_id)
    assert first.json()["result"] == "admitted"
    assert first.json()["ticket"]["id"] == str(ticket_a)

    # Device B sends A's scan_id: it is B's own scan, of B's ticket, never A's stored answer.
    replay = await scan(door, device_b, code_b, event_b, scan_id=scan_id)
    assert replay.status_code == 200
    assert replay.json()["result"] == "admitted"
    assert replay.json()["ticket"]["id"] == str(ticket_b)
    # With a code that does not exist B learns nothing about A's scan either.
    unknown = await scan(door, device_b, code_b[:-4] + "AAAA", event_b, scan_id=scan_id)
    assert unknown.json()["ticket"] is None
    assert str(ticket_a) not in unknown.text


async def test_a_scan_id_reused_for_another_ticket_or_event_is_409_and_logged(
    door: Door, bearer: Callable[..., dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    event_a, event_b = await door.event(), await door.event()
    _, [(_, code_1), (_, code_2)] = await door.issue(event_a, 2)
    _, [(_, code_b)] = await door.issue(event_b)
    coordinator = bearer("coordinator", sub="coordinador-1")
    scan_id = str(uuid.uuid4())

    assert (await scan(door, coordinator, code_1, event_a, scan_id=scan_id)).json()["result"] == "admitted"
    with caplog.at_level(logging.WARNING):
        other_ticket = await scan(door, coordinator, code_2, event_a, scan_id=scan_id)
        other_event = await scan(door, coordinator, code_b, event_b, scan_id=scan_id)
    for refused in (other_ticket, other_event):
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "scan_id_reused"
        assert refused.json()["scan_id"] == scan_id
        assert "Asistente" not in refused.text
    logged = [r for r in caplog.records if r.getMessage() == "scan_id reused for another scan"]
    assert len(logged) == 2
    assert {r.__dict__["scan_id"] for r in logged} == {scan_id}
    assert all("Asistente" not in str(r.__dict__) for r in logged)

    # Nothing was decided for the refused scans: the second ticket still admits.
    assert (await door.scan(code_2, event_a))["result"] == "admitted"
    # The genuine retry still gets its stored answer.
    again = await scan(door, coordinator, code_1, event_a, scan_id=scan_id)
    assert again.json()["result"] == "admitted"


async def test_offline_sync_scan_ids_belong_to_their_device(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event_id = await door.event()
    _, [(_, code_1), (_, code_2), (_, code_3)] = await door.issue(event_id, 3)
    device_a = await register_device(door.client, bearer("coordinator"), event_id, "A")
    device_b = await register_device(door.client, bearer("coordinator"), event_id, "B")
    t0 = datetime.now(UTC) - timedelta(minutes=5)

    first = await sync(door, device_a, event_id, [offline(code_1, "s-1", t0)])
    assert [r["result"] for r in first.json()["results"]] == ["admitted"]

    # Device B's own "s-1" is its own scan: of code_2, admitted.
    other = await sync(door, device_b, event_id, [offline(code_2, "s-1", t0)])
    assert other.status_code == 200
    assert [r["result"] for r in other.json()["results"]] == ["admitted"]

    # Device A reusing "s-1" for another ticket refuses the whole upload: nothing is decided.
    reused = await sync(door, device_a, event_id, [offline(code_3, "s-2", t0), offline(code_2, "s-1", t0)])
    assert reused.status_code == 409
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["scan_id"] == "s-1"
    # So is one upload naming one scan_id for two tickets.
    twice = await sync(door, device_a, event_id, [offline(code_3, "s-3", t0), offline(code_1, "s-3", t0)])
    assert twice.status_code == 409
    assert (await door.scan(code_3, event_id))["result"] == "admitted"

    # The genuine re-send gets the stored answer.
    again = await sync(door, device_a, event_id, [offline(code_1, "s-1", t0)])
    assert again.json() == first.json()

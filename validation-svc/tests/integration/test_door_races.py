"""Races on the one-statement path: many devices, retries and offline uploads at the same instant."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.door import Door, register_device

pytestmark = pytest.mark.integration


async def registry(tables: AsyncEngine, event_id: uuid.UUID) -> dict[str, Any]:
    async with tables.connect() as conn:
        tickets = (
            await conn.execute(
                text("SELECT id, entries, first_entry_at FROM validation.tickets WHERE event_id = :e"),
                {"e": event_id},
            )
        ).all()
        scans = await conn.scalar(
            text("SELECT count(*) FROM validation.scans WHERE event_id = :e"), {"e": event_id}
        )
    return {"tickets": {str(t.id): t for t in tickets}, "scans": scans}


async def test_ten_devices_scanning_twenty_tickets_at_once_with_retries_admit_each_once(
    door: Door, bearer: Callable[..., dict[str, str]], tables: AsyncEngine
) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 20)
    devices = [
        await register_device(door.client, bearer("coordinator"), event_id, f"P{n}") for n in range(10)
    ]

    async def scan(headers: dict[str, str], code: str, scan_id: str) -> dict[str, Any]:
        response = await door.client.post(
            "/api/v1/validation/scan",
            json={"qr_payload": code, "event_id": str(event_id), "gate": "norte", "scan_id": scan_id},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    # Every device scans every ticket, and sends each scan twice (a retry racing the original).
    calls = [
        (n, t, scan(headers, code, f"scan-{t}"))
        for n, headers in enumerate(devices)
        for t, (_, code) in enumerate(issued)
        for _ in range(2)
    ]
    answers = await asyncio.gather(*(call for _, _, call in calls))

    by_scan: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for (n, t, _), answer in zip(calls, answers, strict=True):
        by_scan.setdefault((n, t), []).append(answer)
    assert all(first == retry for first, retry in by_scan.values())  # a retry gets the same answer
    for t in range(len(issued)):
        results = [by_scan[(n, t)][0]["result"] for n in range(len(devices))]
        assert results.count("admitted") == 1, results
        assert results.count("already_used") == len(devices) - 1
    state = await registry(tables, event_id)
    assert {t.entries for t in state["tickets"].values()} == {1}
    assert state["scans"] == len(devices) * len(issued)  # one logged scan per (device, scan_id)


async def test_offline_uploads_racing_online_scans_keep_the_earliest_entry(
    door: Door, bearer: Callable[..., dict[str, str]], tables: AsyncEngine
) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 30)
    north = await register_device(door.client, bearer("coordinator"), event_id, "Norte")
    south = await register_device(door.client, bearer("coordinator"), event_id, "Sur")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def upload(gate: str, offset: int, order: list[int]) -> list[dict[str, Any]]:
        return [
            {
                "scan_id": f"{gate}-{t}",
                "qr_payload": issued[t][1],
                "gate": gate,
                "scanned_at": (t0 + timedelta(seconds=offset + t)).isoformat(),
                "local_result": "admitted",
            }
            for t in order
        ]

    async def sync(headers: dict[str, str], scans: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = await door.client.post(
            "/api/v1/validation/sync",
            json={"device_id": "phone", "event_id": str(event_id), "scans": scans},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    # The two uploads name the tickets in opposite orders (a deadlock if locks were taken as met);
    # the north door scanned every ticket 5 s before the south one.
    forward, backward = list(range(30)), list(reversed(range(30)))
    online = [door.scan(code, event_id, gate="este") for _, code in issued]
    north_results, south_results, *_ = await asyncio.gather(
        sync(north, upload("norte", 0, forward)),
        sync(south, upload("sur", 5, backward)),
        *online,
    )
    assert len(north_results) == len(south_results) == 30
    state = await registry(tables, event_id)
    for t, (ticket_id, _) in enumerate(issued):
        # Whatever order they arrived in, the earliest scan (north's) holds the first entry.
        assert state["tickets"][str(ticket_id)].first_entry_at == t0 + timedelta(seconds=t)
    # North's scans are the earliest: admitted whether they came first or took the entry over.
    assert {r["result"] for r in north_results} == {"admitted"}
    assert {r["result"] for r in south_results} <= {"admitted", "already_used"}


async def test_one_offline_upload_sent_twice_at_once_is_decided_once(
    door: Door, bearer: Callable[..., dict[str, str]], tables: AsyncEngine
) -> None:
    # A phone on a flaky network re-sends its upload while the first is still being decided.
    event_id = await door.event()
    _, issued = await door.issue(event_id, 40)
    device = await register_device(door.client, bearer("coordinator"), event_id, "Norte")
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    scans = [
        {"scan_id": f"norte-{t}", "qr_payload": code, "gate": "norte",
         "scanned_at": (t0 + timedelta(seconds=t)).isoformat(), "local_result": "admitted"}
        for t, (_, code) in enumerate(issued)
    ]  # fmt: skip

    async def sync() -> list[dict[str, Any]]:
        response = await door.client.post(
            "/api/v1/validation/sync",
            json={"device_id": "phone", "event_id": str(event_id), "scans": scans},
            headers=device,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    first, second, third = await asyncio.gather(sync(), sync(), sync())
    assert first == second == third
    assert {r["result"] for r in first} == {"admitted"}
    state = await registry(tables, event_id)
    assert {t.entries for t in state["tickets"].values()} == {1}
    assert state["scans"] == len(issued)

"""Online scans decided together (group commit, migration 0006): the scans that arrive while a
batch is decided share the next transaction, and a batch that fails is decided scan by scan, so
each caller still gets its own answer or error."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.door import Door, register_device, scans_logged
from validation_svc.adapters.door_statements import LANE

pytestmark = pytest.mark.integration

# A bound on waiting for what must happen (the test fails on a hang, not on slowness).
STOP_WAITING_AFTER = 30.0


def lane_figures() -> tuple[float, float]:
    """Batches run and the scans they held, so far in this process."""
    labels = {"lane": LANE}
    return (
        REGISTRY.get_sample_value("crowdify_group_commit_batch_items_count", labels) or 0.0,
        REGISTRY.get_sample_value("crowdify_group_commit_batch_items_sum", labels) or 0.0,
    )


async def post_scan(door: Door, headers: dict[str, str], event_id: uuid.UUID, code: str, scan_id: str) -> Any:
    return await door.client.post(
        "/api/v1/validation/scan",
        json={"qr_payload": code, "event_id": str(event_id), "gate": "norte", "scan_id": scan_id},
        headers=headers,
    )


async def test_a_revoked_device_among_a_rush_is_refused_alone_and_every_ticket_admitted_once(
    door: Door, bearer: Callable[..., dict[str, str]], tables: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 20)
    devices = [await register_device(door.client, bearer("coordinator"), event_id, f"P{n}") for n in range(6)]
    made = await door.client.post(
        "/api/v1/validation/devices",
        json={"name": "Robado", "event_id": str(event_id)},
        headers=bearer("admin"),
    )
    stolen = {"Authorization": f"Bearer {made.json()['token']}"}
    revoked = await door.client.delete(
        f"/api/v1/validation/devices/{made.json()['id']}", headers=bearer("admin")
    )
    assert revoked.status_code == 204
    batches_before, held_before = lane_figures()

    # The revoked device's scans are spread through the rush, so they share batches with others.
    calls = []
    for t, (_, code) in enumerate(issued):
        calls += [(n, t, post_scan(door, h, event_id, code, f"s-{t}")) for n, h in enumerate(devices)]
        calls.append((-1, t, post_scan(door, stolen, event_id, code, f"s-{t}")))
    answers = await asyncio.gather(*(call for _, _, call in calls))

    refused = [a for (n, _, _), a in zip(calls, answers, strict=True) if n == -1]
    assert {a.status_code for a in refused} == {401}
    assert {a.json()["reason"] for a in refused} == {"device_revoked"}
    results: dict[int, list[str]] = {}
    for (n, t, _), answer in zip(calls, answers, strict=True):
        if n >= 0:
            assert answer.status_code == 200, answer.text
            results.setdefault(t, []).append(answer.json()["result"])
    assert all(
        r.count("admitted") == 1 and r.count("already_used") == len(devices) - 1 for r in results.values()
    )
    assert await scans_logged(tables, event_id) == len(devices) * len(issued)

    batches, held = lane_figures()
    assert held - held_before == len(calls)  # every scan went through the lane once
    assert batches - batches_before < len(calls)  # and some shared a transaction
    # The revoked device's scans were left out of their batches rather than making them fail
    # (a batch of several that fails is logged, and all of it is decided again scan by scan).
    assert not [r for r in caplog.records if r.name == "crowdify.group_commit" and LANE in r.getMessage()]


async def test_one_scan_id_sent_for_two_tickets_at_once_is_decided_for_one_and_refused_for_the_other(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 12)
    device = await register_device(door.client, bearer("coordinator"), event_id, "P1")
    others = [post_scan(door, device, event_id, code, f"ok-{t}") for t, (_, code) in enumerate(issued[2:])]
    (_, first), (_, second) = issued[:2]
    answers = await asyncio.gather(
        *others[:5],
        post_scan(door, device, event_id, first, "twice"),
        post_scan(door, device, event_id, second, "twice"),
        *others[5:],
    )
    twice = answers[5:7]
    assert sorted(a.status_code for a in twice) == [200, 409]
    assert next(a for a in twice if a.status_code == 200).json()["result"] == "admitted"
    assert [a.json()["result"] for a in answers[:5] + answers[7:]] == ["admitted"] * 10


async def test_a_ticket_locked_elsewhere_holds_up_only_its_own_scan(
    door: Door, bearer: Callable[..., dict[str, str]], tables: AsyncEngine
) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 8)
    device = await register_device(door.client, bearer("coordinator"), event_id, "P1")
    (locked_id, locked_code), rest = issued[0], issued[1:]
    async with tables.connect() as holder:
        # Another transaction holds the ticket (as the worker revoking an event's tickets does).
        await holder.execute(
            text("SELECT 1 FROM validation.tickets WHERE id = :id FOR UPDATE"), {"id": locked_id}
        )
        waiting = asyncio.create_task(post_scan(door, device, event_id, locked_code, "locked"))
        others = [post_scan(door, device, event_id, code, f"free-{t}") for t, (_, code) in enumerate(rest)]
        # Every other ticket is decided while the lock is still held: the batch they shared with
        # the locked one gave up waiting and its scans were decided one by one.
        answers = await asyncio.wait_for(asyncio.gather(*others), timeout=STOP_WAITING_AFTER)
        assert [a.json()["result"] for a in answers] == ["admitted"] * len(rest)
        assert not waiting.done()
        await holder.rollback()
    assert (await asyncio.wait_for(waiting, timeout=STOP_WAITING_AFTER)).json()["result"] == "admitted"
    assert await scans_logged(tables, event_id) == len(issued)

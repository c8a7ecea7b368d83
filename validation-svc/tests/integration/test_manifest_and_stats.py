"""The offline manifest (keys, tickets, revocations, delta by cursor) and attendance stats."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import OrderRefundedV1
from crowdify.testing.polling import wait_until
from crowdify.tickets import KeyRing, verify_ticket
from tests.door import Door

pytestmark = pytest.mark.integration


async def test_manifest_carries_keys_that_verify_tickets_offline(door: Door) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 3)
    manifest = await door.manifest(event_id)

    assert manifest["event_id"] == str(event_id)
    assert {t["id"] for t in manifest["tickets"]} == {str(ticket_id) for ticket_id, _ in issued}
    assert {t["status"] for t in manifest["tickets"]} == {"valid"}
    assert manifest["revoked"] == []
    for key in manifest["keys"]:
        assert set(key) >= {"kty", "crv", "kid", "x"}
        assert "d" not in key  # never a private key
    keyring = KeyRing.from_jwks({"keys": manifest["keys"]})
    for ticket_id, code in issued:
        assert verify_ticket(code, keyring).ticket_id == ticket_id


async def test_manifest_since_cursor_returns_only_changes(door: Door) -> None:
    event_id = await door.event()
    order_id, [(first_id, first_code), (refunded_id, _), (_, _)] = await door.issue(event_id, 3)
    cursor = (await door.manifest(event_id))["cursor"]

    # The cursor is the oldest transaction still running anywhere in the cluster, so a row can come
    # again (never be missed): a delta may repeat rows, but with nothing new about them.
    unchanged = await door.manifest(event_id, since=cursor)
    assert {t["status"] for t in unchanged["tickets"]} <= {"valid"}
    assert int(unchanged["cursor"]) >= int(cursor)

    assert (await door.scan(first_code, event_id, gate="norte"))["result"] == "admitted"
    await door.publish(
        OrderRefundedV1(
            order_id=order_id,
            event_id=event_id,
            refund_id="r-delta",
            lines=(OrderLine(ticket_type_id=uuid.uuid4(), quantity=1),),
            ticket_ids=(refunded_id,),
            full=False,
        )
    )

    async def both_changed() -> dict[str, Any] | None:
        delta = await door.manifest(event_id, since=cursor)
        statuses = {t["id"]: t["status"] for t in delta["tickets"]}
        done = statuses.get(str(first_id)) == "used" and statuses.get(str(refunded_id)) == "revoked"
        return delta if done else None

    delta = await wait_until(both_changed, within=5, message="delta has the scan and the refund")
    assert {t["status"] for t in delta["tickets"]} <= {"used", "revoked", "valid"}
    assert delta["revoked"] == [str(refunded_id)]
    final = {t["id"]: t["status"] for t in delta["tickets"]}
    again = await door.manifest(event_id, since=delta["cursor"])
    assert all(final.get(t["id"], "valid") == t["status"] for t in again["tickets"])


async def test_manifest_of_unknown_event_is_404_and_needs_a_door_role(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    response = await door.client.get(
        f"/api/v1/validation/events/{uuid.uuid4()}/manifest", headers=door.headers
    )
    assert response.status_code == 404
    response = await door.client.get(
        f"/api/v1/validation/events/{uuid.uuid4()}/manifest", headers=bearer("user")
    )
    assert response.status_code == 403


async def test_stats_count_admitted_inside_by_gate_and_type(
    door: Door, bearer: Callable[..., dict[str, str]]
) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 4)
    type_id = str(verify_ticket(issued[0][1], door_keyring(door)).ticket_type_id)
    for (_, code), gate in zip(issued[:3], ("norte", "norte", "sur"), strict=True):
        assert (await door.scan(code, event_id, gate=gate))["result"] == "admitted"
    assert (await door.scan(issued[0][1], event_id, direction="out"))["result"] == "exited"

    url = f"/api/v1/validation/events/{event_id}/stats"
    assert (await door.client.get(url, headers=bearer("scanner"))).status_code == 403
    response = await door.client.get(url, headers=bearer("coordinator"))
    assert response.status_code == 200
    body = response.json()
    over_time = body.pop("over_time")
    assert sum(bucket["admitted"] for bucket in over_time) == 3
    assert body == {
        "event_id": str(event_id),
        "issued": 4,
        "admitted": 3,
        "inside": 2,
        "revoked": 0,
        "by_gate": {"norte": 2, "sur": 1},
        "by_ticket_type": {type_id: 3},
    }


def door_keyring(door: Door) -> KeyRing:
    return KeyRing.from_signing_keys([door.key])

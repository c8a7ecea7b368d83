"""Issued codes recognised by their digest (ADR 0024, migration 0010): the door spares them the
signature check, every other code still gets it, and every verdict is what it was."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from crowdify.testing.polling import wait_until
from crowdify.tickets import SigningKey, TicketClaims, code_digest, sign_ticket
from tests.door import Door, scans_logged
from tests.integration.test_offline_sync import offline, sync
from validation_svc.settings import ValidationSettings

pytestmark = pytest.mark.integration


def checked(by: str) -> float:
    return REGISTRY.get_sample_value("crowdify_door_codes_checked_total", {"check": by}) or 0.0


class Checks:
    """How many codes each path took since this was made."""

    def __init__(self) -> None:
        self.start = {by: checked(by) for by in ("digest", "signature")}

    def since(self) -> dict[str, float]:
        return {by: checked(by) - start for by, start in self.start.items()}


def forged(door: Door, ticket_id: uuid.UUID, event_id: uuid.UUID) -> str:
    """The ticket's claims signed by a key that only borrows our key's id."""
    impostor = SigningKey.generate(door.key.kid)
    return sign_ticket(TicketClaims(ticket_id, event_id, uuid.uuid4(), datetime.now(UTC)), impostor)


async def forget_digest(tables: AsyncEngine, ticket_id: uuid.UUID) -> None:
    """As for a ticket registered before the registry kept digests."""
    async with tables.begin() as conn:
        await conn.execute(
            text("UPDATE validation.tickets SET code_digest = NULL WHERE id = :id"), {"id": ticket_id}
        )


async def stored_digest(tables: AsyncEngine, ticket_id: uuid.UUID) -> bytes | None:
    """The digest the registry keeps for the ticket's code."""
    async with tables.connect() as conn:
        stored = await conn.scalar(
            text("SELECT code_digest FROM validation.tickets WHERE id = :id"), {"id": ticket_id}
        )
    return None if stored is None else bytes(stored)


async def revoked_device(door: Door, event_id: uuid.UUID, bearer) -> dict[str, str]:
    """A door device of ``event_id``, registered and then revoked: its id and token."""
    registered = await door.client.post(
        "/api/v1/validation/devices",
        json={"name": "Puerta", "event_id": str(event_id)},
        headers=door.organiser,
    )
    assert registered.status_code == 201, registered.text
    device: dict[str, str] = registered.json()
    revoked = await door.client.delete(f"/api/v1/validation/devices/{device['id']}", headers=bearer("admin"))
    assert revoked.status_code == 204
    return device


async def test_the_registry_keeps_the_digest_of_each_code_it_verified(
    door: Door, tables: AsyncEngine, settings: ValidationSettings
) -> None:
    event_id = await door.event()
    _, [(ticket_id, code)] = await door.issue(event_id)
    assert await stored_digest(tables, ticket_id) == code_digest(code, settings.code_digest_key_bytes)


async def test_an_issued_code_is_admitted_by_its_digest_and_a_forgery_is_refused_by_its_signature(
    door: Door, tables: AsyncEngine
) -> None:
    event_id = await door.event()
    _, [(ticket_id, code)] = await door.issue(event_id)
    checks = Checks()

    fake = await door.scan(forged(door, ticket_id, event_id), event_id)
    assert fake == {
        "result": "invalid",
        "ticket": None,
        "first_entry_at": None,
        "first_entry_gate": None,
        "message": "Invalid ticket (bad_signature)",
    }
    assert checks.since() == {"digest": 0, "signature": 1}
    # The forgery decided nothing and left no trace: the statement only compared digests.
    assert await scans_logged(tables, event_id) == 0

    assert (await door.scan(code.lower(), event_id))["result"] == "admitted"
    assert (await door.scan(code, event_id))["result"] == "already_used"
    assert checks.since() == {"digest": 2, "signature": 1}


async def test_a_ticket_without_a_digest_is_decided_after_its_signature(
    door: Door, tables: AsyncEngine
) -> None:
    event_id = await door.event()
    _, [(ticket_id, code)] = await door.issue(event_id)
    await forget_digest(tables, ticket_id)
    checks = Checks()

    first = await door.scan(code, event_id, gate="norte")
    assert first["result"] == "admitted" and first["ticket"]["id"] == str(ticket_id)
    second = await door.scan(code, event_id, gate="sur")
    assert (second["result"], second["first_entry_gate"]) == ("already_used", "norte")
    assert checks.since() == {"digest": 0, "signature": 2}


async def test_a_revoked_device_still_hears_invalid_for_a_forgery(door: Door, bearer) -> None:
    """The digest is compared before the device: the order of the verdicts is unchanged."""
    event_id = await door.event()
    _, [(ticket_id, code)] = await door.issue(event_id)
    device = await revoked_device(door, event_id, bearer)

    def scan(qr: str):
        return door.client.post(
            "/api/v1/validation/scan",
            json={"qr_payload": qr, "event_id": str(event_id)},
            headers={"Authorization": f"Bearer {device['token']}"},
        )

    fake = await scan(forged(door, ticket_id, event_id))
    assert (fake.status_code, fake.json()["result"]) == (200, "invalid")
    real = await scan(code)
    assert real.status_code == 401


async def test_a_batch_compares_digests_before_devices_and_writes_nothing_for_an_unknown_code(
    door: Door, tables: AsyncEngine, settings: ValidationSettings, bearer
) -> None:
    event_id = await door.event()
    _, issued = await door.issue(event_id, 4)
    device = uuid.UUID((await revoked_device(door, event_id, bearer))["id"])
    key = settings.code_digest_key_bytes
    forged_digests = [code_digest(forged(door, ticket_id, event_id), key) for ticket_id, _ in issued]
    real_digests = [code_digest(code, key) for _, code in issued]
    # A forgery and a real code from an honest device, then the same from a revoked one.
    arguments = {
        "scanners": ["door-1"] * 4,
        "devices": [None, None, device, device],
        "scan_ids": [uuid.uuid4().hex for _ in issued],
        "events": [event_id] * 4,
        "tickets": [ticket_id for ticket_id, _ in issued],
        "digests": [forged_digests[0], real_digests[1], forged_digests[2], real_digests[3]],
    }
    async with tables.begin() as conn:
        answers = (
            (
                await conn.execute(
                    text(
                        "SELECT validation.door_scans(:scanners, CAST(:devices AS uuid[]), :scan_ids,"
                        " :events, :tickets, :events, ARRAY[0, 0, 0, 0], CAST(:nothing AS text[]),"
                        " CAST(:nothing AS text[]), ARRAY['in', 'in', 'in', 'in'], :digests)"
                    ),
                    {**arguments, "nothing": [None] * 4},
                )
            )
            .scalars()
            .all()
        )
    assert answers[0] == "unknown_code"
    assert json.loads(answers[1])["result"] == "admitted"
    # The revoked device's forgery is sent back for its signature before the device is looked at
    # (and then refused as invalid, as before); its real code is left to be refused alone (NULL).
    assert answers[2:] == ["unknown_code", None]
    assert await scans_logged(tables, event_id) == 1
    # The forged tickets were left as they were: their real codes still admit.
    assert (await door.scan(issued[0][1], event_id))["result"] == "admitted"


async def test_a_reissued_code_replaces_the_digest_and_is_recognised_by_it(
    door: Door, tables: AsyncEngine, settings: ValidationSettings
) -> None:
    event_id = await door.event()
    order_id, [(ticket_id, old_code)] = await door.issue(event_id)
    new_code = await door.reissue(order_id, event_id, ticket_id)
    new_digest = code_digest(new_code, settings.code_digest_key_bytes)

    async def replaced() -> bool:
        return await stored_digest(tables, ticket_id) == new_digest

    await wait_until(replaced, message="the re-issued code's digest stored")
    checks = Checks()
    assert (await door.scan(new_code, event_id))["result"] == "admitted"
    assert checks.since() == {"digest": 1, "signature": 0}
    # The old code is no longer the ticket's: its signature is checked, and it is refused.
    assert (await door.scan(old_code, event_id))["result"] == "invalid"
    assert checks.since() == {"digest": 1, "signature": 1}


async def test_an_upload_checks_signatures_only_of_codes_the_registry_does_not_know(
    door: Door, tables: AsyncEngine
) -> None:
    event_id = await door.event()
    _, [(_, known), (old_id, old), (target_id, _)] = await door.issue(event_id, 3)
    await forget_digest(tables, old_id)
    checks = Checks()
    at = datetime.now(UTC)

    results = await sync(
        door,
        event_id,
        "tablet-1",
        [
            offline(known, "norte", at),
            offline(old, "norte", at),
            offline(forged(door, target_id, event_id), "norte", at),
            offline("CF1.NOT.A.CODE", "norte", at, local_result="invalid"),
        ],
    )
    assert [r["result"] for r in results] == ["admitted", "admitted", "invalid", "invalid"]
    # The unreadable code is refused on reading, before either check.
    assert checks.since() == {"digest": 1, "signature": 2}
    assert (await door.scan(known, event_id))["result"] == "already_used"

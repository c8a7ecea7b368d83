"""Admissions as the door announces them: batches of an event's first entries (one statement per
batch) and the superseded one-ticket messages still queued from before, in any order. Each ticket
counts once, at its earliest entry, wherever it was listed; a rebuild from the journal agrees."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from admin_svc.service.journal import rebuild
from admin_svc.settings import AdminSettings
from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.contracts.validation import Admission, TicketAdmittedV1, TicketsAdmittedV1
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import wait_until
from crowdify.testing.service_under_test import Bearer, Publish
from tests.sales import on_sale


async def test_the_earliest_entry_counts_across_batches_duplicates_and_old_messages(
    worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer, settings: AdminSettings
) -> None:
    sale = on_sale(0, name="Noche de Cumbia")
    for message in sale.messages:
        await publish(message)
    type_id = sale.type_ids["General"]
    a, b, c, d = (uuid.uuid4() for _ in range(4))
    await publish(
        TicketsIssuedV1(
            order_id=uuid.uuid4(), event_id=sale.event_id, buyer_email="ana@example.cl", buyer_name="Ana",
            tickets=tuple(
                IssuedTicket(
                    id=t, ticket_type_id=type_id, ticket_type="General", holder_name=f"Asistente {n}",
                    qr_payload="x",
                )
                for n, t in enumerate((a, b, c, d))
            ),
            issued_at=datetime.now(UTC),
        )
    )  # fmt: skip
    doors_open = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)

    def at(minutes: int) -> datetime:
        return doors_open + timedelta(minutes=minutes)

    def admitted(ticket_id: uuid.UUID, gate: str, minutes: int) -> Admission:
        return Admission(ticket_id=ticket_id, ticket_type_id=type_id, gate=gate, admitted_at=at(minutes))

    def one_by_one(ticket_id: uuid.UUID, gate: str, minutes: int) -> TicketAdmittedV1:
        return TicketAdmittedV1(
            ticket_id=ticket_id,
            event_id=sale.event_id,
            ticket_type_id=type_id,
            gate=gate,
            admitted_at=at(minutes),
        )

    admissions = [
        one_by_one(a, "Norte", 10),  # queued before the change; a batch then shows an earlier entry
        TicketsAdmittedV1(
            event_id=sale.event_id,
            admissions=(
                admitted(b, "Sur", 5),
                admitted(a, "Oeste", 0),
                admitted(c, "Norte", 20),  # listed twice in one batch: the earlier one counts,
                admitted(c, "Sur", 15),  # even listed after the later one
                admitted(b, "Norte", 30),
            ),
        ),
        TicketsAdmittedV1(
            event_id=sale.event_id, admissions=(admitted(d, "Sur", 40), admitted(a, "Norte", 50))
        ),
        one_by_one(d, "Norte", 35),  # an old message can still hold the earliest entry
    ]
    for message in admissions:
        await publish(message)
    want = {a: ("Oeste", 0), b: ("Sur", 5), c: ("Sur", 15), d: ("Norte", 35)}
    local = ZoneInfo(settings.timezone)
    want_rows = {
        str(t): ["ingresada", at(m).astimezone(local).strftime("%Y-%m-%d %H:%M:%S"), gate]
        for t, (gate, m) in want.items()
    }
    dashboard_url = f"/api/v1/admin/events/{sale.event_id}/dashboard"
    attendees_url = f"/api/v1/admin/events/{sale.event_id}/exports/attendees.csv?format=csv"

    async def attendees() -> dict[str, list[str]]:
        body = (await client.get(attendees_url, headers=bearer("admin"))).text
        return {row[0]: row[6:] for row in list(csv.reader(io.StringIO(body)))[1:]}

    async def settled() -> dict[str, Any] | None:
        if await attendees() != want_rows:
            return None
        dashboard = (await client.get(dashboard_url, headers=bearer("admin"))).json()
        return dashboard if dashboard["attendance"]["tickets_issued"] == 4 else None

    dashboard = await wait_until(settled, within=30, message="every admission projected")
    attendance = dashboard["attendance"]
    assert attendance["admitted"] == 4
    assert {g["gate"]: g["admitted"] for g in attendance["by_gate"]} == {"Norte": 1, "Oeste": 1, "Sur": 2}
    assert sum(p["admitted"] for p in attendance["over_time"]) == 4

    # Rebuilt from the journal alone: the same dashboard and the same attendees.
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        await rebuild(UnitOfWorkFactory(engine), batch_size=3)
    finally:
        await engine.dispose()
    assert (await client.get(dashboard_url, headers=bearer("admin"))).json() == dashboard
    assert await attendees() == want_rows

"""CSV exports: what a Spanish-locale spreadsheet needs (BOM, ';', Spanish headers, no formulas),
the plain RFC 4180 choice, and an event of 100,000 tickets streamed in bounded memory (measured
and printed)."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import text

from admin_svc.main import create_app
from admin_svc.settings import AdminSettings
from crowdify.contracts import purchase
from crowdify.contracts.common import OrderLine
from crowdify.db import UnitOfWorkFactory, create_engine
from crowdify.testing import serving, wait_until
from crowdify.testing.service_under_test import Bearer, Publish
from tests.sales import on_sale

BOM = "\ufeff"


async def test_exports_open_in_a_spanish_spreadsheet_and_as_plain_csv(
    worker: Any, publish: Publish, client: httpx.AsyncClient, bearer: Bearer
) -> None:
    sale = on_sale(6, seed=3)
    placed = sale.placed[0]
    sly = purchase.OrderPlacedV1(
        order_id=uuid.uuid4(),
        event_id=sale.event_id,
        user_id="pícaro",
        lines=(OrderLine(ticket_type_id=placed.lines[0].ticket_type_id, quantity=1),),
        placed_at=datetime.now(UTC),
        buyer_email="ñandú@example.cl",
        buyer_name='=HYPERLINK("http://malo.example";"clic")',
    )
    for message in [*sale.messages, sly]:
        await publish(message)
    base = f"/api/v1/admin/events/{sale.event_id}/exports"

    paid_orders = sum(isinstance(m, purchase.OrderPaidV1) for m in sale.messages)

    async def all_in() -> str | None:
        body = (await client.get(f"{base}/orders.csv", headers=bearer("admin"))).content.decode("utf-8")
        # Each kind of message has batches of its own: an order may be listed before its payment.
        rows = list(csv.reader(io.StringIO(body.removeprefix(BOM)), delimiter=";"))
        with_payment = sum(1 for row in rows[1:] if row[8])  # id_pago
        return body if len(rows) == 8 and with_payment == paid_orders else None

    excel = await wait_until(all_in, within=30, message="every order in the export")
    response = await client.get(f"{base}/orders.csv", headers=bearer("admin"))
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert f'filename="pedidos-{sale.event_id}.csv"' in response.headers["content-disposition"]
    assert excel.startswith(BOM)
    rows = list(csv.reader(io.StringIO(excel.removeprefix(BOM)), delimiter=";"))
    assert rows[0] == [
        "pedido", "estado", "comprador", "email", "total", "pagado", "reembolsado", "moneda", "id_pago",
        "creado", "pagado_el", "vencido_el", "anulado_el",
    ]  # fmt: skip
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[str(sly.order_id)][2] == f"'{sly.buyer_name}"  # never run as a formula
    assert by_id[str(sly.order_id)][3] == "ñandú@example.cl"
    paid = next(row for row in rows[1:] if row[1] == "paid")
    assert paid[8].startswith("1000") and paid[10]  # payment id, paid at (local time)

    plain = (await client.get(f"{base}/orders.csv?format=csv", headers=bearer("admin"))).content.decode()
    assert not plain.startswith(BOM)
    plain_rows = list(csv.reader(io.StringIO(plain)))
    assert len(plain_rows) == len(rows) and plain_rows[0][:2] == ["pedido", "estado"]
    assert {row[2] for row in plain_rows} >= {sly.buyer_name}  # the raw value for programs

    async def tickets_in() -> str | None:
        body = (await client.get(f"{base}/attendees.csv", headers=bearer("admin"))).content.decode()
        return body if body.count("\r\n") == sale.expected.tickets_issued + 1 else None

    attendees = list(
        csv.reader(io.StringIO((await wait_until(tickets_in, within=30)).removeprefix(BOM)), delimiter=";")
    )
    assert attendees[0] == [
        "entrada", "tipo", "titular", "nombre_menor", "rut_menor", "pedido", "estado", "ingreso", "puerta",
    ]  # fmt: skip
    assert any(row[3] == "Sofía" and row[4] == "12345678-5" for row in attendees[1:])
    assert {row[6] for row in attendees[1:]} <= {"valida", "ingresada", "anulada"}

    problem = await client.get(f"{base}/orders.csv?format=xlsx", headers=bearer("admin"))
    assert problem.status_code == 422 and problem.headers["content-type"].startswith(
        "application/problem+json"
    )


GENERATE_100K = text("""
    WITH o AS (
        INSERT INTO orders (order_id, event_id, user_id, buyer_email, buyer_name, placed_at, held_at,
                            total, currency, paid_at, paid_total, payment_id)
        SELECT gen_random_uuid(), :event_id, 'u' || n, 'asistente' || n || '@example.cl',
               'Asistente Número ' || n, now(), now(), 30000, 'CLP', now(), 30000, (2000000 + n)::text
        FROM generate_series(1, 50000) AS n
        RETURNING order_id
    )
    INSERT INTO tickets (ticket_id, order_id, event_id, ticket_type_id, ticket_type_name, holder_name,
                         child_nombre, child_rut, issued_at)
    SELECT gen_random_uuid(), o.order_id, :event_id, :type_id, 'General', 'Titular de la entrada ' || k,
           CASE WHEN k = 1 THEN 'Martina' END, CASE WHEN k = 1 THEN '23456789-6' END, now()
    FROM o CROSS JOIN generate_series(1, 2) AS k
""")


async def test_an_event_of_100000_tickets_exports_in_bounded_memory(
    settings: AdminSettings, bearer: Bearer
) -> None:
    event_id = uuid.uuid4()
    engine = create_engine(settings.database_url, settings.db_schema, pool_size=1)
    try:
        async with UnitOfWorkFactory(engine)() as uow:
            await uow.session.execute(GENERATE_100K, {"event_id": event_id, "type_id": uuid.uuid4()})
            await uow.session.execute(
                text("INSERT INTO event_staff (event_id, user_ids, revision) VALUES (:e, '{}', 1)"),
                {"e": event_id},
            )
    finally:
        await engine.dispose()

    # Over real HTTP, so the file really streams to the client.
    with serving(create_app(settings)) as base_url:
        for name, expected_rows in (("attendees", 100_000), ("orders", 50_000)):
            tracemalloc.start()
            started = time.perf_counter()
            size = lines = 0
            async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
                url = f"/api/v1/admin/events/{event_id}/exports/{name}.csv"
                async with http.stream("GET", url, headers=bearer("admin")) as response:
                    assert response.status_code == 200
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        lines += chunk.count(b"\n")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"\n{name}.csv: {lines - 1} rows, {size / 1e6:.1f} MB streamed in "
                f"{time.perf_counter() - started:.1f} s; peak Python memory while exporting "
                f"{peak / 1e6:.1f} MB"
            )
            assert lines - 1 == expected_rows
            # Streamed, not built: the process never held more than a fraction of the file.
            assert peak < size / 3

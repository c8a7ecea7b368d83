"""CSV exports of an event's orders and attendees, streamed: rows are fetched from a server-side
cursor a batch at a time and written out as they come, so an event of any size exports in the
memory of one batch.

``excel`` (the default) is what a spreadsheet in Spanish locale opens correctly by double-click:
UTF-8 with a byte order mark and ``;`` between fields. ``csv`` is plain RFC 4180 (``,``, no BOM)
for programs. Cells that a spreadsheet would run as a formula are quoted with a leading ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, select
from sqlalchemy.engine import Row

from admin_svc.adapters.tables import admissions, orders, tickets
from admin_svc.service.status import order_status, refunded_amount
from crowdify.db import UnitOfWorkFactory

ExportFormat = Literal["excel", "csv"]
BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ORDER_COLUMNS = (
    "pedido",
    "estado",
    "comprador",
    "email",
    "total",
    "pagado",
    "reembolsado",
    "moneda",
    "id_pago",
    "creado",
    "pagado_el",
    "vencido_el",
    "anulado_el",
)
ATTENDEE_COLUMNS = (
    "entrada",
    "tipo",
    "titular",
    "nombre_menor",
    "rut_menor",
    "pedido",
    "estado",
    "ingreso",
    "puerta",
)


def orders_query(event_id: UUID) -> Select[Any]:
    return (
        select(
            orders.c.order_id,
            order_status(),
            orders.c.buyer_name,
            orders.c.buyer_email,
            orders.c.total,
            orders.c.paid_total,
            refunded_amount(),
            orders.c.currency,
            orders.c.payment_id,
            orders.c.placed_at,
            orders.c.paid_at,
            orders.c.expired_at,
            orders.c.cancelled_at,
        )
        .where(orders.c.event_id == event_id)
        .order_by(orders.c.placed_at.nulls_last(), orders.c.order_id)
    )


def attendees_query(event_id: UUID) -> Select[Any]:
    return (
        select(
            tickets.c.ticket_id,
            tickets.c.ticket_type_name,
            tickets.c.holder_name,
            tickets.c.child_nombre,
            tickets.c.child_rut,
            tickets.c.order_id,
            tickets.c.revoked_at,
            admissions.c.admitted_at,
            admissions.c.gate,
        )
        .select_from(
            tickets.outerjoin(
                admissions,
                and_(admissions.c.ticket_id == tickets.c.ticket_id),
            )
        )
        .where(tickets.c.event_id == event_id)
        .order_by(tickets.c.ticket_id)
    )


@dataclass(frozen=True)
class CsvExporter:
    uow_factory: UnitOfWorkFactory
    timezone: str
    batch_rows: int

    def orders(self, event_id: UUID, fmt: ExportFormat) -> AsyncIterator[bytes]:
        return self._stream(orders_query(event_id), ORDER_COLUMNS, fmt, self._order_cells)

    def attendees(self, event_id: UUID, fmt: ExportFormat) -> AsyncIterator[bytes]:
        return self._stream(attendees_query(event_id), ATTENDEE_COLUMNS, fmt, self._attendee_cells)

    def _order_cells(self, row: Row[Any]) -> list[object]:
        cells = list(row)
        for index in (9, 10, 11, 12):
            cells[index] = self._local(cells[index])
        return cells

    def _attendee_cells(self, row: Row[Any]) -> list[object]:
        ticket_id, kind, holder, child, rut, order_id, revoked_at, admitted_at, gate = tuple(row)
        status = "anulada" if revoked_at is not None else ("ingresada" if admitted_at else "valida")
        return [ticket_id, kind, holder, child, rut, order_id, status, self._local(admitted_at), gate]

    def _local(self, moment: datetime | None) -> str | None:
        if moment is None:
            return None
        return moment.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M:%S")

    async def _stream(
        self, query: Select[Any], header: Sequence[str], fmt: ExportFormat, cells: Any
    ) -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";" if fmt == "excel" else ",", lineterminator="\r\n")
        if fmt == "excel":
            buffer.write(BOM)
        writer.writerow(header)
        async with self.uow_factory() as uow:
            result = await uow.session.stream(query.execution_options(yield_per=self.batch_rows))
            async for partition in result.partitions():
                for row in partition:
                    writer.writerow([_cell(cell, excel=fmt == "excel") for cell in cells(row)])
                yield _drain(buffer)
        yield _drain(buffer)


def _cell(cell: object, *, excel: bool) -> object:
    if excel and isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return "" if cell is None else cell


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data

"""Dashboards and CSV exports. The platform dashboard is for admins; an event's dashboard and
exports are for admins and the event's own coordinators (404 for anyone else's event)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from admin_svc.api.state import AdminStateDep
from admin_svc.service.dashboards import Bucket, BucketChoice, Reports
from admin_svc.service.exports import CsvExporter, ExportFormat
from admin_svc.service.scope import require_event_in_scope
from crowdify.auth import CurrentAdmin, CurrentAdminOrCoordinator
from crowdify.auth.principal import Principal
from crowdify.errors import problem_responses

router = APIRouter(prefix="/api/v1/admin", tags=["reports"])


class EventInfo(BaseModel):
    event_id: UUID
    name: str
    venue: str | None
    city: str | None
    starts_at: datetime
    ends_at: datetime | None
    status: str
    sales_start: datetime | None
    sales_end: datetime | None
    capacity: int | None


class SalesPoint(BaseModel):
    at: datetime
    tickets: int
    revenue: int


class TicketTypeSales(BaseModel):
    ticket_type_id: UUID
    name: str | None
    tickets_sold: int
    tickets_refunded: int
    gross: int
    refunded: int
    net: int


class Sales(BaseModel):
    bucket: Bucket
    over_time: list[SalesPoint]
    by_ticket_type: list[TicketTypeSales]
    tickets_sold: int
    gross: int
    refunded: int
    net: int


class Funnel(BaseModel):
    placed: int
    held: int
    paid: int
    expired: int
    rejected_sold_out: int
    rejected: int
    cancelled: int


class RefundsByCause(BaseModel):
    cause: str
    count: int
    amount: int


class GateCount(BaseModel):
    gate: str
    admitted: int


class AttendancePoint(BaseModel):
    at: datetime
    gate: str
    admitted: int


class Attendance(BaseModel):
    tickets_issued: int
    tickets_valid: int
    admitted: int
    by_gate: list[GateCount]
    bucket: Bucket
    over_time: list[AttendancePoint]


class EventDashboard(BaseModel):
    event_id: UUID
    event: EventInfo | None
    timezone: str
    sales: Sales
    funnel: Funnel
    refunds: list[RefundsByCause]
    attendance: Attendance


class DaySales(BaseModel):
    currency: str
    orders: int
    tickets: int
    revenue: int


class Today(BaseModel):
    date: date
    sales: list[DaySales]


class EventOnSale(BaseModel):
    event_id: UUID
    name: str
    venue: str | None
    starts_at: datetime
    sales_end: datetime | None
    tickets_sold: int


class UpcomingDoors(BaseModel):
    event_id: UUID
    name: str
    venue: str | None
    starts_at: datetime
    tickets_valid: int
    admitted: int


class PlatformDashboard(BaseModel):
    timezone: str
    today: Today
    events_on_sale: list[EventOnSale]
    upcoming_doors: list[UpcomingDoors]


def _reports(state: AdminStateDep) -> Reports:
    return Reports(timezone=state.settings.timezone)


async def _in_scope(state: AdminStateDep, user: Principal, event_id: UUID) -> None:
    async with state.uow_factory() as uow:
        await require_event_in_scope(uow.session, user, event_id)


@router.get(
    "/dashboard",
    response_model=PlatformDashboard,
    summary="The platform today: sales so far today, events on sale, doors opening in the next 7 days",
    responses=problem_responses(401, 403),
)
async def platform_dashboard(admin: CurrentAdmin, state: AdminStateDep) -> PlatformDashboard:
    async with state.uow_factory() as uow:
        figures = await _reports(state).platform_dashboard(uow.session, datetime.now(UTC))
    return PlatformDashboard.model_validate(figures)


@router.get(
    "/events/{event_id}/dashboard",
    response_model=EventDashboard,
    summary="An event's sales and revenue over time and by ticket type, order funnel, refunds, attendance",
    description=(
        "``bucket``: ``auto`` (minutes while the figures span a day or less, then days for sales "
        "and hours for attendance), or a fixed ``minute``, ``hour`` or ``day``. Amounts are in "
        "minor units of the currency."
    ),
    responses=problem_responses(401, 403, 404, 422),
)
async def event_dashboard(
    event_id: UUID,
    user: CurrentAdminOrCoordinator,
    state: AdminStateDep,
    bucket: BucketChoice = "auto",
) -> EventDashboard:
    async with state.uow_factory() as uow:
        await require_event_in_scope(uow.session, user, event_id)
        figures = await _reports(state).event_dashboard(uow.session, event_id, bucket)
    return EventDashboard.model_validate(figures)


CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "the CSV file, streamed"}
}
FORMAT_HELP = "excel: UTF-8 with BOM and ';' (Spanish-locale spreadsheets); csv: RFC 4180 with ','"


def _csv(chunks: object, filename: str) -> StreamingResponse:
    return StreamingResponse(
        chunks,  # type: ignore[arg-type]
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/events/{event_id}/exports/orders.csv",
    summary="The event's orders as CSV: id, status, buyer, email, amounts, payment id, dates",
    response_class=StreamingResponse,
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 404, 422)},
)
async def export_orders(
    event_id: UUID,
    user: CurrentAdminOrCoordinator,
    state: AdminStateDep,
    format: Annotated[ExportFormat, Query(description=FORMAT_HELP)] = "excel",
) -> StreamingResponse:
    await _in_scope(state, user, event_id)
    exporter = CsvExporter(state.uow_factory, state.settings.timezone, state.settings.export_batch_rows)
    return _csv(exporter.orders(event_id, format), f"pedidos-{event_id}.csv")


@router.get(
    "/events/{event_id}/exports/attendees.csv",
    summary="The event's attendee list as CSV: ticket, type, holder, child's name and RUT, admitted at, gate",
    response_class=StreamingResponse,
    responses={**CSV_RESPONSE, **problem_responses(401, 403, 404, 422)},
)
async def export_attendees(
    event_id: UUID,
    user: CurrentAdminOrCoordinator,
    state: AdminStateDep,
    format: Annotated[ExportFormat, Query(description=FORMAT_HELP)] = "excel",
) -> StreamingResponse:
    await _in_scope(state, user, event_id)
    exporter = CsvExporter(state.uow_factory, state.settings.timezone, state.settings.export_batch_rows)
    return _csv(exporter.attendees(event_id, format), f"asistentes-{event_id}.csv")

"""Routes for orders: parse, call a use case, shape the answer."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status

from crowdify.auth import CurrentAdminOrCoordinator, CurrentUser, authenticate
from crowdify.errors import problem_responses
from crowdify.inputs import Page, PageSize, Text
from purchase_svc.api.dependencies import PurchasesDep, get_purchases
from purchase_svc.api.order_request import ORDER_REQUEST_DOCS, read_order_request
from purchase_svc.api.schemas import (
    OrderItemOut,
    OrderOut,
    OrderPage,
    SalesStatsOut,
    TicketOut,
    ticket_pdf_url,
)
from purchase_svc.domain.order import OrderStatus
from purchase_svc.service import orders as use_cases
from purchase_svc.service.commands import RefundCause, RefundOrder
from purchase_svc.service.orders import OrderView
from purchase_svc.service.placing import place_order_and_wait
from purchase_svc.service.refunds import refund_order
from purchase_svc.service.stats import check_stats_scope, sales_stats

router = APIRouter(
    prefix="/api/v1/purchases", tags=["purchases"], responses=problem_responses(401, 403, 404, 409, 422)
)


def order_out(view: OrderView) -> OrderOut:
    order = view.order
    return OrderOut(
        id=order.id,
        user_id=order.user_id,
        event_id=order.event_id,
        status=order.status,
        items=[
            OrderItemOut(ticket_type_id=i.ticket_type_id, quantity=i.quantity, unit_price=i.unit_price)
            for i in view.items
        ],
        total=order.total,
        currency=order.currency,
        expires_at=order.hold_expires_at,
        payment_link=order.payment_link,
        reason=order.reason,
        created_at=order.created_at,
        paid_at=order.paid_at,
        tickets=[
            TicketOut.model_validate({**asdict(t), "pdf_url": ticket_pdf_url(t.id)}) for t in view.tickets
        ],
    )


ORDERS_PATH = router.prefix


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderOut,
    responses={
        202: {"model": OrderOut, "description": "Still pending when `wait` ran out; see Location"},
        **problem_responses(429),
    },
    summary="Place an order; waits up to `wait` seconds for the reservation and payment link",
    openapi_extra=ORDER_REQUEST_DOCS,
)
async def place_order(request: Request) -> Response:
    # The on-sale's one hot request, in its own lane through the app (main.create_app): it reads
    # and checks its request itself (order_request) and writes its answer as JSON once. (A
    # comment, not a docstring: FastAPI would publish a docstring as the operation's description.)
    user = await authenticate(request)
    body, wait = await read_order_request(request)
    purchases = await get_purchases(request)
    key = request.headers.get("idempotency-key")
    view = await place_order_and_wait(purchases, body.to_command(), user, wait, key)
    answer = order_out(view).model_dump_json().encode()
    if view.order.status == OrderStatus.PENDING:
        headers = {"Location": f"{ORDERS_PATH}/{view.order.id}"}
        return Response(answer, status.HTTP_202_ACCEPTED, headers, media_type="application/json")
    return Response(answer, status.HTTP_201_CREATED, media_type="application/json")


@router.get("", response_model=OrderPage, summary="Your orders (admin: everyone's, with filters)")
async def list_orders(
    purchases: PurchasesDep,
    user: CurrentUser,
    event_id: UUID | None = None,
    status_filter: Annotated[OrderStatus | None, Query(alias="status")] = None,
    user_id: Annotated[Text | None, Query(max_length=64)] = None,
    page: Page = 1,
    page_size: PageSize = 20,
) -> OrderPage:
    owner = user_id if user.role == "admin" else user.user_id
    flt = use_cases.OrderFilter(
        user_id=owner, event_id=event_id, status=status_filter.value if status_filter else None
    )
    views, total = await use_cases.list_orders(purchases, flt, page=page, page_size=page_size)
    return OrderPage(items=[order_out(v) for v in views], page=page, page_size=page_size, total=total)


@router.get(
    "/stats", response_model=SalesStatsOut, summary="Orders by status and revenue (gross, refunded, net)"
)
async def get_stats(
    purchases: PurchasesDep, user: CurrentAdminOrCoordinator, event_id: UUID | None = None
) -> SalesStatsOut:
    await check_stats_scope(purchases, user, event_id)
    stats = await sales_stats(purchases, event_id)
    return SalesStatsOut(
        event_id=stats.event_id,
        orders_by_status=stats.orders_by_status,
        gross=stats.gross,
        refunded=stats.refunded,
        net=stats.net,
        currency=stats.currency,
    )


@router.get("/{order_id}", response_model=OrderOut, summary="One order (its owner or an admin)")
async def get_order(order_id: UUID, purchases: PurchasesDep, user: CurrentUser) -> OrderOut:
    return order_out(await use_cases.get_order_view(purchases, order_id, user))


@router.post(
    "/{order_id}/cancel",
    response_model=OrderOut,
    summary="Cancel an order: unpaid (owner or admin) releases its hold; paid (admin) is refunded in full",
)
async def cancel_order(order_id: UUID, purchases: PurchasesDep, user: CurrentUser) -> OrderOut:
    if user.role == "admin":
        view = await use_cases.get_order_view(purchases, order_id, user)
        if view.order.status in (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED):
            command = RefundOrder(
                order_id=order_id,
                ticket_ids=None,
                reason="cancelado por un administrador",
                actor=user.user_id,
                cause=RefundCause.ADMIN,
            )
            await refund_order(purchases, command)
            return order_out(await use_cases.get_order_view(purchases, order_id, user))
    return order_out(await use_cases.cancel_unpaid_order(purchases, order_id, user))

"""Placing an order and waiting for event-svc's decision: the buyer's request path.

One statement places the order with its lines, attendees and outbox row (and counts the buyer's
recent orders and checks that the catalogue snapshot the order was judged against is current),
together with the other orders waiting in the process when there are some (``placing_together``);
the outbox row is published at once; the request then sleeps until the worker announces the
decision and reads the order once. A retry with the same Idempotency-Key finds the order its
first attempt placed, even one placed by a concurrent twin or before a crash.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from crowdify.auth import Principal
from crowdify.contracts.common import OrderLine
from crowdify.contracts.purchase import PlacedOrder
from crowdify.errors import ProblemError
from crowdify.observability.context import waited_on_purpose
from purchase_svc.adapters.order_statements import Attendee, CatalogueEntry, NewOrder, OrderToPlace, Placement
from purchase_svc.domain.order import OrderStatus
from purchase_svc.service.buyer_email import verified_buyer_email
from purchase_svc.service.catalogue_check import catalogue_problem
from purchase_svc.service.commands import PlaceOrder
from purchase_svc.service.context import Purchases
from purchase_svc.service.errors import HoldLimitExceeded
from purchase_svc.service.order_rate import refuse_over_rate
from purchase_svc.service.orders import OrderView, get_order_view
from purchase_svc.service.placing_together import announcement

ORDER_ID_NAMESPACE = uuid.UUID("6b1e1f0e-6a53-4c51-9a7e-7f3d0f4b7c21")
# A placement is judged again when the catalogue changed under it; three changes in a row (an
# event edited continuously) answer 503 and the client retries.
_CATALOGUE_ATTEMPTS = 3


def order_id_for(user: Principal, idempotency_key: str | None) -> uuid.UUID:
    """With an Idempotency-Key the order id is derived from it (per buyer), so a retry finds the
    order it already placed even if the stored answer was lost (a crash after the commit)."""
    if not idempotency_key:
        return uuid.uuid4()
    return uuid.uuid5(ORDER_ID_NAMESPACE, f"{user.token_kind}:{user.user_id}:{idempotency_key}")


def _new_order(order_id: uuid.UUID, command: PlaceOrder, user: Principal, buyer_email: str) -> NewOrder:
    return NewOrder(
        id=order_id,
        user_id=user.user_id,
        event_id=command.event_id,
        buyer_name=command.buyer_name,
        buyer_email=buyer_email,
        lines=[(item.ticket_type_id, item.quantity) for item in command.items],
        attendees=[
            Attendee(
                ticket_type_id=item.ticket_type_id,
                position=position,
                name=person.name,
                child_nombre=person.child.nombre if person.child else None,
                child_rut=person.child.rut if person.child else None,
                child_fecha_nacimiento=person.child.fecha_nacimiento if person.child else None,
            )
            for item in command.items
            for position, person in enumerate(item.attendees or ())
        ],
    )


def _placed(order: NewOrder) -> PlacedOrder:
    return PlacedOrder(
        order_id=order.id,
        event_id=order.event_id,
        user_id=order.user_id,
        lines=tuple(OrderLine(ticket_type_id=t, quantity=q) for t, q in order.lines),
        placed_at=datetime.now(UTC),
        buyer_email=order.buyer_email,
        buyer_name=order.buyer_name,
    )


async def _catalogue_entry(
    purchases: Purchases, connection: AsyncConnection, event_id: uuid.UUID, *, fresh: bool
) -> CatalogueEntry:
    entry = None if fresh else purchases.catalogue.get(event_id)
    if entry is None:
        entry = await purchases.order_statements.catalogue(connection, event_id)
        purchases.catalogue.remember(event_id, entry)
    return entry


def _outcome(
    placement: Placement, entry: CatalogueEntry, problem: ProblemError | None, per_minute: int
) -> bool | None:
    """What a placement that ran means: True placed; False the order exists already (the same
    Idempotency-Key again, or a concurrent twin placed it first); None the snapshot it was judged
    against was outdated, so it must be judged again. A refusal is raised, in the use case's order:
    the buyer's rate (429), then the catalogue (422)."""
    if placement.placed:
        return True
    if placement.found:
        return False
    refuse_over_rate(placement.recent_orders, placement.oldest_age, per_minute)
    if placement.catalogue_as_of != entry.as_of:
        return None
    if problem is not None:
        raise problem
    return False


async def place_order(
    purchases: Purchases, command: PlaceOrder, user: Principal, order_id: uuid.UUID
) -> bool:
    """Place the order unless ``order_id`` exists; True when this call placed it. The order of the
    refusals is the use case's: an existing order first, then the buyer's rate (429), then the
    catalogue (422)."""
    buyer_email = verified_buyer_email(
        user, command.buyer_email, special_use_domains=purchases.settings.is_development
    )
    order = _new_order(order_id, command, user, buyer_email)
    announced = _placed(order)
    headers = purchases.outbox.request_headers()  # for its message when it is placed alone
    per_minute = purchases.settings.orders_per_minute
    entry = purchases.catalogue.get(command.event_id)
    stale = False
    if entry is not None and purchases.settings.place_batch_max > 1:
        # Placed together with the other orders waiting in this process (its row sent with theirs).
        problem = catalogue_problem(entry.snapshot, command)
        together = await purchases.placing_together.place(
            OrderToPlace(order, entry.as_of, problem is None, announced, headers)
        )
        if together is not None:
            outcome = _outcome(together, entry, problem, per_minute)
            if outcome is not None:
                return outcome
            stale = True
        # Else the batch failed and committed nothing: the order is placed alone below.
    async with purchases.order_statements.connection() as connection:
        entry = await _catalogue_entry(purchases, connection, command.event_id, fresh=stale)
        envelope = announcement(purchases.outbox, [announced])
        for _ in range(_CATALOGUE_ATTEMPTS):
            problem = catalogue_problem(entry.snapshot, command)
            placement = await purchases.order_statements.place(
                connection,
                OrderToPlace(order, entry.as_of, problem is None, announced, headers),
                envelope,
                per_minute=per_minute,
            )
            if placement.placed:
                # On the connection the order was placed on: no second checkout from the pool.
                await purchases.outbox.send(connection, [envelope], headers)
                return True
            outcome = _outcome(placement, entry, problem, per_minute)
            if outcome is not None:
                return outcome
            entry = await _catalogue_entry(purchases, connection, command.event_id, fresh=True)
    raise ProblemError(
        "The event is being changed; try again shortly",
        status=503,
        code="service_unavailable",
        headers={"Retry-After": "1"},
    )


async def place_order_and_wait(
    purchases: Purchases,
    command: PlaceOrder,
    user: Principal,
    wait_seconds: float,
    idempotency_key: str | None = None,
) -> OrderView:
    """Place the order and wait (without polling) until it leaves ``pending`` or time runs out."""
    order_id = order_id_for(user, idempotency_key)
    if purchases.updates is None:
        raise RuntimeError("waiting for a decision needs the API's OrderUpdates")
    # Wait for the answer before the order exists, so the worker's answer cannot arrive unheard.
    async with purchases.updates.subscribe(order_id) as updates:
        placed = await place_order(purchases, command, user, order_id)
        # A new order is pending: it is read once, after the wait. One placed earlier may be
        # decided already.
        view = None if placed else await get_order_view(purchases, order_id, user)
        if (view is None or view.order.status == OrderStatus.PENDING) and wait_seconds > 0:
            began = time.perf_counter()
            await updates.wait(wait_seconds)
            # The decision is event-svc's: the request's own time is what is left.
            waited_on_purpose(time.perf_counter() - began)
            view = None
        if view is None:
            view = await get_order_view(purchases, order_id, user)
    if view.order.status == OrderStatus.REJECTED and view.order.reason == "limit_exceeded":
        raise HoldLimitExceeded(
            "This order would pass the tickets one buyer may hold unpaid for this event: "
            "pay or cancel your pending orders first"
        )
    return view

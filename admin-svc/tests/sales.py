"""An on-sale as the other services' messages describe it, for the tests to publish, with the
figures the dashboard must show for it worked out independently of admin-svc's code.

Orders end in every way the saga allows: paid (some partly or wholly refunded, one charged back),
left to expire, refused because the event sold out, or cancelled before paying. event-svc's
decisions and purchase-svc's placements come in batches of several orders
(``catalog.holds.decided``, ``purchase.orders.placed``), every fourth one still on its own as before
batches (a rolling deploy). Paid tickets are
let in at two gates, announced as validation-svc does (batches of an event's first entries), some
still one by one as before batches (a rolling deploy), and some reported again later at the other
gate (a later entry that must not count).
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from crowdify.contracts import catalog, purchase, validation
from crowdify.contracts.base import Contract
from crowdify.contracts.common import EventSnapshot, OrderLine, PricedLine, TicketTypeSnapshot
from crowdify.contracts.tickets import IssuedTicket, TicketsIssuedV1
from crowdify.messaging.envelope import Envelope

GENERAL, VIP = "General", "VIP"
PRICES = {GENERAL: 15000, VIP: 45000}
GATES = ("Norte", "Sur")

# An order's placement or decision, announced in a batch message or on its own.
Item = purchase.PlacedOrder | catalog.HeldOrder | catalog.RefusedOrder
SUPERSEDED: dict[type[Item], type[Contract]] = {
    purchase.PlacedOrder: purchase.OrderPlacedV1,
    catalog.HeldOrder: catalog.TicketsReservedV1,
    catalog.RefusedOrder: catalog.ReservationRejectedV1,
}


@dataclass
class Expected:
    sold: Counter[str] = field(default_factory=Counter)
    refunded: Counter[str] = field(default_factory=Counter)
    funnel: Counter[str] = field(default_factory=Counter)
    refunds_by_cause: Counter[str] = field(default_factory=Counter)
    refund_amounts: Counter[str] = field(default_factory=Counter)
    admitted_by_gate: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, str] = field(default_factory=dict)
    tickets_issued: int = 0
    tickets_revoked: int = 0


@dataclass
class OnSale:
    event_id: uuid.UUID
    staff: tuple[str, ...]
    type_ids: dict[str, uuid.UUID]
    messages: list[Contract] = field(default_factory=list)
    expected: Expected = field(default_factory=Expected)
    # First entries, announced by ``_announce`` once every order is made.
    admissions: list[validation.Admission] = field(default_factory=list)
    # Every order placed, in order.
    placed: list[purchase.PlacedOrder] = field(default_factory=list)
    # Orders and decisions not yet announced in a batch message (``_batched``).
    unannounced: list[Item] = field(default_factory=list)

    def envelopes(self) -> list[Envelope]:
        return [Envelope.wrap(m, correlation_id=str(uuid.uuid4())) for m in self.messages]


def snapshot(event_id: uuid.UUID, type_ids: dict[str, uuid.UUID], name: str) -> EventSnapshot:
    starts = datetime.now(UTC) + timedelta(days=3)
    return EventSnapshot(
        id=event_id,
        name=name,
        venue="Teatro Caupolicán",
        city="Santiago",
        starts_at=starts,
        status="published",
        sales_start=datetime.now(UTC) - timedelta(days=1),
        sales_end=starts,
        hold_minutes=15,
        ticket_types=tuple(
            TicketTypeSnapshot(
                id=type_id, name=kind, price=PRICES[kind], currency="CLP", capacity=500, max_per_order=4
            )
            for kind, type_id in type_ids.items()
        ),
    )


def on_sale(
    orders: int, *, staff: tuple[str, ...] = (), seed: int = 12, name: str = "Festival de Prueba"
) -> OnSale:
    rng = random.Random(seed)
    event_id = uuid.uuid4()
    type_ids = {GENERAL: uuid.uuid4(), VIP: uuid.uuid4()}
    sale = OnSale(event_id=event_id, staff=staff, type_ids=type_ids)
    sale.messages.append(catalog.EventPublishedV1(event=snapshot(event_id, type_ids, name)))
    if staff:
        sale.messages.append(
            catalog.EventStaffChangedV1(
                event_id=event_id, staff=staff, revision=1, changed_at=datetime.now(UTC)
            )
        )
    for n in range(orders):
        outcome = rng.choices(
            ["paid", "partly_refunded", "refunded", "charged_back", "expired", "sold_out", "cancelled"],
            weights=[60, 6, 5, 2, 12, 10, 5],
        )[0]
        if n == 0:
            outcome = "charged_back"  # at least one of each rare kind
        elif n == 1:
            outcome = "partly_refunded"
        _order(sale, rng, n, outcome)
    _announce_batch(sale, at_least=1)
    _announce(sale, rng)
    return sale


def _batched(sale: OnSale, n: int, item: Item) -> None:
    """Every fourth order's placement and decision on its own (the superseded per-order
    contracts), the rest in batch messages of eight items."""
    if n % 4 == 3:
        sale.messages.append(SUPERSEDED[type(item)].model_validate(item.model_dump()))
        return
    sale.unannounced.append(item)
    _announce_batch(sale, at_least=8)


def _announce_batch(sale: OnSale, *, at_least: int) -> None:
    """The items waiting, when there are ``at_least``: the placements in one message, then the
    decisions in another (a decision never comes before its order's placement)."""
    if len(sale.unannounced) < at_least:
        return
    batch, sale.unannounced = sale.unannounced, []
    placed = tuple(i for i in batch if isinstance(i, purchase.PlacedOrder))
    if placed:
        sale.messages.append(purchase.OrdersPlacedV1(orders=placed))
    held = tuple(i for i in batch if isinstance(i, catalog.HeldOrder))
    refused = tuple(i for i in batch if isinstance(i, catalog.RefusedOrder))
    if held or refused:
        sale.messages.append(catalog.HoldsDecidedV1(held=held, refused=refused))


def _announce(sale: OnSale, rng: random.Random, per_message: int = 20) -> None:
    """Every fourth admission one by one (the superseded contract); the rest in batches, some of
    them listed again later at the other gate, in the same batch or another one."""
    batched: list[validation.Admission] = []
    for n, admission in enumerate(sale.admissions):
        if n % 4 == 3:
            sale.messages.append(
                validation.TicketAdmittedV1(
                    ticket_id=admission.ticket_id, event_id=sale.event_id,
                    ticket_type_id=admission.ticket_type_id, gate=admission.gate,
                    admitted_at=admission.admitted_at,
                )
            )  # fmt: skip
            continue
        batched.append(admission)
        if rng.random() < 0.3:
            other = GATES[1 - GATES.index(admission.gate or GATES[0])]
            later = admission.model_copy(
                update={"gate": other, "admitted_at": admission.admitted_at + timedelta(minutes=5)}
            )
            batched.append(later)
    for start in range(0, len(batched), per_message):
        chunk = sorted(batched[start : start + per_message], key=lambda a: a.admitted_at)
        sale.messages.append(validation.TicketsAdmittedV1(event_id=sale.event_id, admissions=tuple(chunk)))


def _order(sale: OnSale, rng: random.Random, n: int, outcome: str) -> None:
    expected, messages = sale.expected, sale.messages
    order_id, event_id, now = uuid.uuid4(), sale.event_id, datetime.now(UTC)
    quantities = {kind: rng.randint(1, 2) for kind in rng.sample([GENERAL, VIP], rng.randint(1, 2))}
    lines = tuple(OrderLine(ticket_type_id=sale.type_ids[k], quantity=q) for k, q in quantities.items())
    total = sum(PRICES[k] * q for k, q in quantities.items())
    buyer = {"buyer_email": f"comprador{n}@example.cl", "buyer_name": f"Comprador {n}"}
    expected.funnel["placed"] += 1
    placed = purchase.PlacedOrder(
        order_id=order_id, event_id=event_id, user_id=f"u{n}", lines=lines, placed_at=now, **buyer
    )
    sale.placed.append(placed)
    _batched(sale, n, placed)
    if outcome == "sold_out":
        expected.funnel["rejected_sold_out"] += 1
        expected.funnel["rejected"] += 1
        expected.statuses[str(order_id)] = "rejected"
        _batched(sale, n, catalog.RefusedOrder(order_id=order_id, event_id=event_id, reason="sold_out"))
        return
    expected.funnel["held"] += 1
    _batched(
        sale,
        n,
        catalog.HeldOrder(
            order_id=order_id,
            event_id=event_id,
            hold_expires_at=now + timedelta(minutes=15),
            lines=tuple(
                PricedLine(
                    ticket_type_id=sale.type_ids[k], ticket_type_name=k, quantity=q, unit_price=PRICES[k]
                )
                for k, q in quantities.items()
            ),
            total=total,
            currency="CLP",
            event_name="Festival de Prueba",
            event_starts_at=now + timedelta(days=3),
        ),
    )
    if outcome == "expired":
        expected.funnel["expired"] += 1
        expected.statuses[str(order_id)] = "expired"
        messages.append(
            catalog.HoldExpiredV1(order_id=order_id, event_id=event_id, expired_at=now, lines=lines)
        )
        messages.append(
            purchase.OrderExpiredV1(
                order_id=order_id, event_id=event_id, lines=lines, expired_at=now, **buyer
            )
        )
        return
    if outcome == "cancelled":
        expected.funnel["cancelled"] += 1
        expected.statuses[str(order_id)] = "cancelled"
        messages.append(
            purchase.OrderCancelledV1(
                order_id=order_id, event_id=event_id, lines=lines, cause="buyer", **buyer
            )
        )
        return
    expected.funnel["paid"] += 1
    expected.sold.update(quantities)
    messages.append(
        purchase.OrderPaidV1(
            order_id=order_id, event_id=event_id, lines=lines, paid_at=now, total=total, currency="CLP",
            payment_id=str(1_000_000 + n),
        )
    )  # fmt: skip
    issued = [
        IssuedTicket(
            id=uuid.uuid4(),
            ticket_type_id=sale.type_ids[kind],
            ticket_type=kind,
            holder_name=f"Asistente {n}-{i}",
            qr_payload="x",
            child_nombre="Sofía" if kind == GENERAL and i == 0 else None,
            child_rut="12345678-5" if kind == GENERAL and i == 0 else None,
        )
        for kind, quantity in quantities.items()
        for i in range(quantity)
    ]
    expected.tickets_issued += len(issued)
    messages.append(
        TicketsIssuedV1(order_id=order_id, event_id=event_id, tickets=tuple(issued), issued_at=now, **buyer)
    )
    expected.statuses[str(order_id)] = "paid"
    revoked: list[IssuedTicket] = []
    if outcome in ("refunded", "charged_back"):
        revoked = issued
    elif outcome == "partly_refunded":
        revoked = issued[:1]
    if revoked:
        full = len(revoked) == len(issued)
        amount = sum(PRICES[t.ticket_type or ""] for t in revoked)
        cause = "chargeback" if outcome == "charged_back" else "admin"
        expected.refunded.update(t.ticket_type or "" for t in revoked)
        expected.refunds_by_cause[cause] += 1
        expected.refund_amounts[cause] += amount
        expected.tickets_revoked += len(revoked)
        if full:
            expected.statuses[str(order_id)] = "refunded"
        messages.append(
            purchase.OrderRefundedV1(
                order_id=order_id,
                event_id=event_id,
                refund_id=str(uuid.uuid4()),
                lines=tuple(
                    OrderLine(ticket_type_id=sale.type_ids[k], quantity=q)
                    for k, q in Counter(t.ticket_type or "" for t in revoked).items()
                ),
                ticket_ids=tuple(t.id for t in revoked),
                full=full,
                amount=amount,
                currency="CLP",
                cause="provider" if outcome == "charged_back" else "admin",
                chargeback=outcome == "charged_back",
                **buyer,
            )
        )
    for ticket in issued:
        if ticket in revoked or rng.random() < 0.4:
            continue
        gate = rng.choice(GATES)
        expected.admitted_by_gate[gate] += 1
        sale.admissions.append(
            validation.Admission(
                ticket_id=ticket.id, ticket_type_id=ticket.ticket_type_id, gate=gate,
                admitted_at=now + timedelta(minutes=rng.randint(0, 90)),
            )
        )  # fmt: skip

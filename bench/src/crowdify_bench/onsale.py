"""The on-sale rush: one event, one ticket type, many buyers at once through the gateway.

The closed loop (``onsale_rush``; the open loop at a target rate is ``onsale_open``): ``buyers``
clients each place orders of 1-4 tickets (``POST /api/v1/purchases?wait=10``) as fast as the
answers come, every order from a new buyer (own token; addresses spread as at a real on-sale,
a share behind one carrier's: ``load.BuyerAddresses``), until ``orders`` have been sent: well
past the sell-out, so the figures cover both the selling phase and the stream of sold-out
answers after it. Afterwards the orders still pending
are read back until decided, and event-svc's counters are compared with what buyers were told.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
import uuid
from typing import Any

from crowdify_bench.load import Answer, BuyerAddresses, Tally, address_spread, bearer, call
from crowdify_bench.platform import Platform
from crowdify_bench.procs import CpuMeter
from crowdify_bench.stats import latency_summary, rate


def outcome(answer: Answer) -> str:
    if answer.status == 201 and isinstance(answer.body, dict):
        if answer.body.get("status") == "awaiting_payment" and answer.body.get("payment_link"):
            return "held"
        if answer.body.get("status") == "rejected":
            return f"rejected_{answer.body.get('reason')}"
        return f"201_{answer.body.get('status')}"
    if answer.status == 202:
        return "pending"
    return f"http_{answer.status}" if answer.status else f"error_{answer.error}"


async def onsale_rush(
    platform: Platform,
    *,
    tickets: int = 1000,
    buyers: int = 200,
    orders: int = 1200,
    max_seconds: float = 120,
    seed: int = 7,
) -> dict[str, Any]:
    rng = random.Random(seed)
    quantities = [rng.randint(1, 4) for _ in range(orders)]
    # Tokens are signed before the clock starts: the generator's CPU belongs to the platform.
    tokens = [platform.buyer_token(n) for n in range(orders)]
    keys = [str(uuid.uuid4()) for _ in range(orders)]
    addresses = BuyerAddresses()
    sent_from: list[str] = []
    answers: list[tuple[int, Answer]] = []
    numbers = itertools.count()

    async with platform.http(connections=buyers + 8, timeout=40) as http:
        event_id, type_id = await platform.create_event(http, "on-sale", tickets, max_per_order=4)
        deadline = time.perf_counter() + max_seconds

        async def buyer() -> None:
            while time.perf_counter() < deadline and (n := next(numbers)) < orders:
                body = {
                    "event_id": event_id,
                    "buyer": {
                        "name": "Comprador Bench",
                        "email": f"buyer{n}.{platform.run_id}@bench.example.com",
                    },
                    "items": [{"ticket_type_id": type_id, "quantity": quantities[n]}],
                }
                sent_from.append(addresses.next())
                # An Idempotency-Key per order, as the shop sends with every attempt.
                headers = {**bearer(tokens[n], sent_from[-1]), "Idempotency-Key": keys[n]}
                answer = await call(http, "POST", "/api/v1/purchases?wait=10", json=body, headers=headers)
                answers.append((n, answer))

        meter = CpuMeter()
        meter.start()
        await asyncio.gather(*(buyer() for _ in range(buyers)))
        cpu = meter.stop()
        late = await settle_pending(http, answers, tokens)
        inventory = await platform.inventory(http, event_id)

    figures = _figures(tickets, buyers, quantities, answers, late, inventory, cpu)
    figures["cpu_ms_per_order"] = meter.ms_per(len(answers))
    figures["client_addresses"] = address_spread(sent_from)
    return figures


async def settle_pending(
    http: Any, answers: list[tuple[int, Answer]], tokens: list[str], within: float = 60
) -> Tally:
    """Orders answered 202 (still pending when ``wait`` ran out): how they ended, or
    ``still_pending`` if not within ``within`` seconds (the outbox relay re-sends what was lost)."""
    late = Tally()
    deadline = time.perf_counter() + within
    for n, answer in answers:
        if outcome(answer) != "pending":
            continue
        path, token = f"/api/v1/purchases/{answer.body['id']}", tokens[n]
        while True:
            read = await call(http, "GET", path, headers=bearer(token))
            status = read.body.get("status") if read.status == 200 and isinstance(read.body, dict) else None
            if status not in (None, "pending") or time.perf_counter() > deadline:
                break
            await asyncio.sleep(0.2)
        late.add(status if status not in (None, "pending") else "still_pending")
        if status == "awaiting_payment":
            answer.body["quantity_held_late"] = sum(item["quantity"] for item in read.body["items"])
    return late


def sale_check(
    tickets: int, quantities: list[int], answers: list[tuple[int, Answer]], inventory: dict[str, Any]
) -> dict[str, Any]:
    """What buyers were told against event-svc's counters: tickets told held (at once, or later
    for orders answered pending) and any ticket sold beyond the event's capacity."""
    tickets_told_held = sum(quantities[n] for n, a in answers if outcome(a) == "held")
    tickets_told_held += sum(
        a.body.get("quantity_held_late", 0) for _, a in answers if outcome(a) == "pending"
    )
    counted = inventory["held"] + inventory["sold"]
    return {
        "tickets_told_held": tickets_told_held,
        "inventory": {k: inventory[k] for k in ("capacity", "sold", "held", "available")},
        "tickets_oversold": max(0, tickets_told_held - tickets, counted - inventory["capacity"]),
        "counters_match_answers": counted == tickets_told_held,
    }


def failures(answers: list[Answer]) -> dict[str, str]:
    """What the failures said (the first of each kind), so a figure never hides its errors."""
    failed = {outcome(a): a for a in reversed(answers) if outcome(a).startswith(("http_", "error_"))}
    return {kind: str(a.body or a.error)[:240] for kind, a in failed.items()}


def _figures(
    tickets: int,
    buyers: int,
    quantities: list[int],
    answers: list[tuple[int, Answer]],
    late: Tally,
    inventory: dict[str, Any],
    cpu: dict[str, float],
) -> dict[str, Any]:
    outcomes = Tally()
    for _, answer in answers:
        outcomes.add(outcome(answer))
    held = [(n, a) for n, a in answers if outcome(a) == "held"]
    rejected = [a for _, a in answers if outcome(a).startswith("rejected_")]
    sold_out = [a for _, a in answers if outcome(a) == "rejected_sold_out"]
    began = min(a.started for _, a in answers)
    ended = max(a.ended for _, a in answers)
    last_held = max((a.ended for _, a in held), default=began)
    after_sell_out = [a for a in sold_out if a.ended > last_held]
    if not held and not rejected:
        sample = [str(a.body or a.error)[:300] for _, a in answers[:3]]
        raise RuntimeError(f"no order was decided: {outcomes.counts}; first answers: {sample}")
    return {
        "tickets": tickets,
        "buyers": buyers,
        "orders_sent": len(answers),
        "outcomes": outcomes.counts,
        "pending_then": late.counts,
        "seconds": round(ended - began, 2),
        "orders_decided_per_s": rate(len(held) + len(rejected), ended - began),
        "time_to_payment_link": latency_summary([a.seconds for _, a in held]),
        "time_to_any_answer": latency_summary([a.seconds for _, a in answers]),
        "selling_phase_seconds": round(last_held - began, 2),
        "sold_out_answers_per_s": rate(len(after_sell_out), ended - last_held)
        if ended - last_held > 0.5
        else None,
        **sale_check(tickets, quantities, answers, inventory),
        "failures": failures([a for _, a in answers]),
        "cpu_cores": cpu,
    }

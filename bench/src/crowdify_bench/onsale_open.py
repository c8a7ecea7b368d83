"""The on-sale at a target rate (open loop): buyers arrive at ``rate`` a second, whatever the
platform answers.

Each round offers a fresh event: buyers arrive as a Poisson process at ``rate`` per second for
``seconds``, each a new person (own token) ordering 1-4 tickets from an address drawn as at a
real on-sale (a quarter behind one carrier's CGNAT address: ``load.BuyerAddresses``). Each order
is sent at its instant whether or not earlier ones were answered (``load.send_open_loop``, the
door's machinery), and its latency is counted from that instant. The event holds what three
quarters of the round's buyers would buy, so it sells out near the end of the window: held
orders (a payment link) and sold-out answers are both measured, and reported apart, as are the
orders that got no decision (an error, or no answer in time).

Before the rounds, an unmeasured warm-up at the same rate on an event that does not sell out
(connections opened, the edge's verdict cache and the services' caches warm). ``rounds`` rounds;
the median of each figure is the result. CPU is counted per held order: the platform's, the
providers' emulators apart (``procs.EMULATORS``), and the load generator's own.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
import jwt

from crowdify_bench.load import Answer, BuyerAddresses, Tally, address_spread, bearer, call, send_open_loop
from crowdify_bench.onsale import failures, outcome, sale_check, settle_pending
from crowdify_bench.platform import Platform
from crowdify_bench.procs import KERNEL, CpuMeter, CpuTimeline
from crowdify_bench.stats import latency_summary, median_of, rate
from crowdify_bench.supabase_buyers import supabase_tokens

ORDER = "/api/v1/purchases?wait=10"
# "backend": HS256 tokens the benchmark signs; "supabase": ES256 tokens of Supabase Auth.
BuyerTokens = Literal["backend", "supabase"]
# The event holds what this share of a round's buyers would buy (orders of 1-4: 2.5 on average).
SELLING_SHARE = 0.75
MEAN_QUANTITY = 2.5


@dataclass
class Arrivals:
    """One round's buyers, prepared before the clock starts (signing a token is the generator's
    CPU, not the platform's)."""

    offsets: list[float]
    quantities: list[int]
    numbers: list[int]
    tokens: list[str]
    addresses: list[str]
    # One Idempotency-Key per order, as the shop sends with every attempt.
    keys: list[str]


def _arrivals(
    platform: Platform,
    rng: random.Random,
    where: BuyerAddresses,
    numbers: itertools.count[int],
    *,
    per_s: float,
    seconds: float,
) -> Arrivals:
    offsets: list[float] = [0.0]  # the first buyer comes as the window opens
    at = rng.expovariate(per_s)
    while at < seconds:
        offsets.append(at)
        at += rng.expovariate(per_s)
    buyers = [next(numbers) for _ in offsets]
    return Arrivals(
        offsets=offsets,
        quantities=[rng.randint(1, 4) for _ in offsets],
        numbers=buyers,
        tokens=[platform.buyer_token(n) for n in buyers],
        addresses=[where.next() for _ in offsets],
        keys=[str(uuid.uuid4()) for _ in offsets],
    )


async def _sign_in(platform: Platform, arrivals: Arrivals, kind: BuyerTokens) -> None:
    """The buyers' tokens from Supabase Auth instead of the benchmark's own, before the clock."""
    if kind == "supabase":
        emails = [platform.buyer_email(n) for n in arrivals.numbers]
        arrivals.tokens = await supabase_tokens(platform.settings, emails)


async def _offer(
    platform: Platform, http: aiohttp.ClientSession, arrivals: Arrivals, event: tuple[str, str]
) -> tuple[float, list[Answer], CpuMeter, dict[str, float], CpuTimeline]:
    event_id, type_id = event

    async def order(k: int) -> Answer:
        n = arrivals.numbers[k]
        body = {
            "event_id": event_id,
            "buyer": {"name": "Comprador Bench", "email": platform.buyer_email(n)},
            "items": [{"ticket_type_id": type_id, "quantity": arrivals.quantities[k]}],
        }
        headers = {**bearer(arrivals.tokens[k], arrivals.addresses[k]), "Idempotency-Key": arrivals.keys[k]}
        return await call(http, "POST", ORDER, json=body, headers=headers)

    meter, timeline = CpuMeter(), CpuTimeline()
    meter.start()
    timeline.start()
    try:
        began, answers = await send_open_loop(arrivals.offsets, order)
    finally:
        await timeline.stop()
    cores = meter.stop()
    return began, answers, meter, cores, timeline


def _sampled_share(timeline: CpuTimeline, meter: CpuMeter) -> float | None:
    platform_ms = meter.ms_per(1).get("platform")
    return round(timeline.spent * 1000 / platform_ms, 3) if platform_ms else None


async def _round(
    platform: Platform, http: aiohttp.ClientSession, arrivals: Arrivals, tickets: int, per_s: float
) -> dict[str, Any]:
    event = await platform.create_event(http, "on-sale open loop", tickets, max_per_order=4)
    began, answers, meter, cores, timeline = await _offer(platform, http, arrivals, event)
    numbered = list(enumerate(answers))
    late = await settle_pending(http, numbered, arrivals.tokens)
    inventory = await platform.inventory(http, event[0])

    outcomes = Tally()
    for answer in answers:
        outcomes.add(outcome(answer))
    held = [a for a in answers if outcome(a) == "held"]
    sold_out = [a for a in answers if outcome(a) == "rejected_sold_out"]
    # No decision at all: an error status, or no answer within the generator's timeout.
    undecided = [a for a in answers if outcome(a).startswith(("http_", "error_"))]
    ended = max(a.ended for a in answers)
    last_held = max((a.ended for a in held), default=began)
    return {
        "offered_per_s": per_s,
        "orders_sent": len(answers),
        "seconds": round(ended - began, 2),
        "outcomes": outcomes.counts,
        "pending_then": late.counts,
        "held": len(held),
        "sold_out": len(sold_out),
        # Holds delivered per second while the event was selling.
        "held_per_s": rate(len(held), last_held - began) if held else None,
        "sold_out_per_s": rate(len(sold_out), ended - last_held)
        if sold_out and ended - last_held > 0.5
        else None,
        "time_to_payment_link": latency_summary([a.seconds for a in held]),
        "time_to_sold_out_answer": latency_summary([a.seconds for a in sold_out]),
        "undecided": len(undecided),
        "rate_limited": outcomes.get("http_429"),
        "generator_late": latency_summary([a.late_by for a in answers]),
        "load_generator_cores": cores.get("load generator", 0.0),
        "load_generator_ms_per_order": round(
            cores.get("load generator", 0.0) * meter.wall * 1000 / len(answers), 2
        ),
        "cpu_cores": cores,
        "cpu_ms_per_held_order": meter.ms_per(len(held)),
        # The same while the event was selling (to the last hold's answer), without the sold-out
        # answers that come after: what a held order costs.
        "cpu_ms_per_held_order_while_selling": round(timeline.between(began, last_held) * 1000 / len(held), 2)
        if held
        else None,
        "cpu_ms_per_decided_order": meter.ms_per(len(held) + len(sold_out)).get("platform"),
        # The sampled CPU over the whole offer against the meter's: under 1 if processes that
        # ended between samples took CPU the samples missed.
        "cpu_sampled_share": _sampled_share(timeline, meter),
        "client_addresses": address_spread(arrivals.addresses),
        # The algorithm of each buyer's token, as the edge and purchase-api checked it.
        "buyer_token_algorithms": dict(Counter(jwt.get_unverified_header(t)["alg"] for t in arrivals.tokens)),
        **sale_check(tickets, arrivals.quantities, numbered, inventory),
        "failures": failures(answers),
    }


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of the rounds (counts of things that must not happen are summed)."""
    return {
        "rounds": len(rounds),
        "held": median_of(rounds, "held"),
        "sold_out": median_of(rounds, "sold_out"),
        "held_per_s": median_of(rounds, "held_per_s"),
        "sold_out_per_s": median_of(rounds, "sold_out_per_s"),
        "held_p50_ms": median_of(rounds, "time_to_payment_link", "p50_ms"),
        "held_p99_ms": median_of(rounds, "time_to_payment_link", "p99_ms"),
        "sold_out_p50_ms": median_of(rounds, "time_to_sold_out_answer", "p50_ms"),
        "sold_out_p99_ms": median_of(rounds, "time_to_sold_out_answer", "p99_ms"),
        "cpu_ms_per_held_order": median_of(rounds, "cpu_ms_per_held_order", "platform"),
        "cpu_ms_per_held_order_while_selling": median_of(rounds, "cpu_ms_per_held_order_while_selling"),
        "cpu_ms_per_decided_order": median_of(rounds, "cpu_ms_per_decided_order"),
        "emulators_ms_per_held_order": median_of(rounds, "cpu_ms_per_held_order", "emulators"),
        "kernel_ms_per_held_order": median_of(rounds, "cpu_ms_per_held_order", KERNEL),
        "undecided": median_of(rounds, "undecided"),
        "load_generator_cores": median_of(rounds, "load_generator_cores"),
        "load_generator_ms_per_order": median_of(rounds, "load_generator_ms_per_order"),
        "generator_late_p99_ms": median_of(rounds, "generator_late", "p99_ms"),
        "rate_limited": sum(int(r["rate_limited"]) for r in rounds),
        "tickets_oversold": sum(int(r["tickets_oversold"]) for r in rounds),
        "counters_match_answers": all(r["counters_match_answers"] for r in rounds),
    }


async def onsale_open(
    platform: Platform,
    *,
    rate_per_s: float = 330,
    seconds: float = 8,
    warm_up_seconds: float = 2,
    rounds: int = 3,
    tickets: int | None = None,
    # Orders in flight at once; more wait in the generator, their latency still counted from
    # their instant. Each one in flight holds two of nginx's connections (client and upstream):
    # 512 stays inside its 2 x 1024 (GATEWAY_WORKER_CONNECTIONS) with room for the rest.
    connections: int = 512,
    seed: int = 7,
    # Supabase Auth's (its emulator's), as the shop's buyers carry, or the benchmark's own.
    buyer_tokens: BuyerTokens = "backend",
) -> dict[str, Any]:
    rng, where = random.Random(seed), BuyerAddresses(seed=seed)
    # Buyer numbers of their own: the closed loop's buyers are 0, 1, 2...
    numbers = itertools.count(10_000_000)
    per_round = tickets or max(1, round(rate_per_s * seconds * MEAN_QUANTITY * SELLING_SHARE))
    measured: list[dict[str, Any]] = []
    async with platform.http(connections=connections, timeout=60) as http:
        if warm_up_seconds > 0:
            warm = _arrivals(platform, rng, where, numbers, per_s=rate_per_s, seconds=warm_up_seconds)
            await _sign_in(platform, warm, buyer_tokens)
            capacity = 4 * len(warm.offsets) + 1  # never sells out
            event = await platform.create_event(http, "on-sale warm-up", capacity, max_per_order=4)
            await _offer(platform, http, warm, event)
        for _ in range(rounds):
            arrivals = _arrivals(platform, rng, where, numbers, per_s=rate_per_s, seconds=seconds)
            await _sign_in(platform, arrivals, buyer_tokens)
            measured.append(await _round(platform, http, arrivals, per_round, rate_per_s))
            await asyncio.sleep(1)  # let the workers finish the round's messages
    summary = summarize(measured)
    return {
        "offered_per_s": rate_per_s,
        "buyer_tokens": buyer_tokens,
        "window_seconds": seconds,
        "warm_up_seconds": warm_up_seconds,
        "tickets_per_round": per_round,
        "median": summary,
        "rounds": measured,
        "tickets_oversold": summary["tickets_oversold"],
        "rate_limited": summary["rate_limited"],
    }

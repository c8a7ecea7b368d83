"""Order limits of the running edge: per verified buyer, and a flood guard per client address.

At an on-sale many buyers share one address (a mobile carrier's CGNAT, an office): they must not
be throttled, while one buyer is limited however it spells its credentials, and a flood from one
address is still stopped.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from crowdify.auth import issue_backend_token
from crowdify.settings import DEV_JWT_SECRET
from crowdify.testing.server import free_port
from crowdify_gateway.testing import assert_problem, running_nginx

ORDERS = "/api/v1/purchases"
ORDER = {"event_id": "e", "items": []}
# The test edge's per-buyer limit (conftest: 2r/s, burst 3).
BUYER_RATE, BUYER_BURST = 2, 3


def token(subject: str, ttl_seconds: int = 3600) -> str:
    return issue_backend_token(DEV_JWT_SECRET, subject=subject, role="user", ttl_seconds=ttl_seconds)


def spellings(credential: str) -> list[str]:
    """One token presented as many different Authorization headers: the scheme in any case, one
    to four spaces before the token (an HTTP client trims a value's ends itself)."""
    schemes = ["Bearer", "bearer", "BEARER", "bEaReR"]
    return [f"{scheme}{' ' * gap}{credential}" for scheme in schemes for gap in range(1, 5)]


async def burst(http: httpx.AsyncClient, headers: list[dict[str, str]]) -> tuple[list[httpx.Response], float]:
    began = time.monotonic()
    answers = await asyncio.gather(*(http.post(ORDERS, json=ORDER, headers=h) for h in headers))
    return list(answers), time.monotonic() - began


def assert_one_buyers_allowance(answers: list[httpx.Response], seconds: float) -> None:
    """At most the burst plus what the rate refilled meanwhile got through; the rest are 429."""
    passed = [a for a in answers if a.status_code == 200]
    limited = [a for a in answers if a.status_code == 429]
    assert len(passed) + len(limited) == len(answers), [a.status_code for a in answers]
    assert 1 <= len(passed) <= 1 + BUYER_BURST + math.ceil(BUYER_RATE * seconds)
    body = assert_problem(limited[0], 429, "rate_limited")
    assert body["detail"]
    assert limited[0].headers["retry-after"] == "1"


async def test_many_buyers_behind_one_address_are_not_throttled(client: httpx.AsyncClient) -> None:
    # 200 buyers behind one carrier address (every test request comes from 127.0.0.1) place their
    # orders in the same instant, under the shipped per-address allowance.
    buyers = [{"Authorization": f"Bearer {token(str(uuid.uuid4()))}"} for _ in range(200)]
    answers, _ = await burst(client, buyers)
    assert {a.status_code for a in answers} == {200}, [a.text for a in answers if a.status_code != 200][:2]


async def test_one_buyer_is_limited_across_its_tokens(client: httpx.AsyncClient, edge: Any) -> None:
    subject = str(uuid.uuid4())
    # Fresh tokens for one account (a new sign-in, another device): each has its own text.
    tokens = {token(subject, ttl_seconds=600 + n) for n in range(12)}
    assert len(tokens) == 12
    answers, seconds = await burst(client, [{"Authorization": f"Bearer {t}"} for t in tokens])
    assert_one_buyers_allowance(answers, seconds)
    # The services still learn who the verified buyer is.
    passed = next(a for a in answers if a.status_code == 200)
    assert edge.upstream.seen[passed.headers["x-request-id"]]["headers"]["x-user-id"] == subject
    # Another buyer is not affected, and reading orders is not limited.
    other = {"Authorization": f"Bearer {token(str(uuid.uuid4()))}"}
    assert (await client.post(ORDERS, json=ORDER, headers=other)).status_code == 200
    assert (
        await client.get(ORDERS, headers={"Authorization": f"Bearer {next(iter(tokens))}"})
    ).status_code == 200


async def test_one_buyer_is_limited_however_the_header_is_spelt(client: httpx.AsyncClient) -> None:
    headers = spellings(token(str(uuid.uuid4())))
    assert len(set(headers)) == 16
    answers, seconds = await burst(client, [{"Authorization": h} for h in headers])
    assert_one_buyers_allowance(answers, seconds)


async def test_tokens_and_spellings_of_one_buyer_share_one_bucket(client: httpx.AsyncClient) -> None:
    subject = str(uuid.uuid4())
    headers = [spellings(token(subject, ttl_seconds=900 + n))[n] for n in range(16)]
    answers, seconds = await burst(client, [{"Authorization": h} for h in headers])
    assert_one_buyers_allowance(answers, seconds)


@pytest.fixture
async def guarded(edge: Any, nginx_prefix: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An edge behind a trusted load balancer (it believes X-Forwarded-For), with a per-address
    order limit of 20 a second and a burst of 20: the shipped ratio to one buyer's allowance,
    scaled down so a test can send a flood."""
    settings = edge.settings.model_copy(
        update={
            "listen": f"127.0.0.1:{free_port()}",
            "trusted_proxies": "127.0.0.1/32",
            "rate_purchase_address": "20r/s",
            "burst_purchase_address": 20,
        }
    )
    with running_nginx(settings, nginx_prefix()) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            yield http


async def test_a_flood_from_one_address_is_stopped_and_others_are_served(guarded: httpx.AsyncClient) -> None:
    # 40 buyers behind one address, two orders each: no buyer is over its own allowance, but 80
    # orders at once from one address is over the address's.
    flood_address, other_address = "198.51.100.7", "203.0.113.20"
    flooders = [token(str(uuid.uuid4())) for _ in range(40)]
    flood = [
        {"Authorization": f"Bearer {t}", "X-Forwarded-For": flood_address} for t in flooders for _ in (0, 1)
    ]
    others = [
        {"Authorization": f"Bearer {token(str(uuid.uuid4()))}", "X-Forwarded-For": other_address}
        for _ in range(5)
    ]
    answers, seconds = await burst(guarded, flood + others)
    flooded, served = answers[: len(flood)], answers[len(flood) :]
    statuses = [a.status_code for a in flooded]
    assert set(statuses) == {200, 429}, statuses
    # The first order, the burst, and what the rate refilled meanwhile, at most.
    assert statuses.count(200) <= 1 + 20 + math.ceil(20 * seconds)
    assert_problem(next(a for a in flooded if a.status_code == 429), 429, "rate_limited")
    assert {a.status_code for a in served} == {200}

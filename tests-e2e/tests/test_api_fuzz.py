"""schemathesis over the gateway's combined OpenAPI document: every operation of every service,
with valid and invalid input, as an admin (who can reach every route), must never answer 5xx.

Bounded and repeatable in `make test` (``FUZZ_EXAMPLES`` examples per operation, 15 by default,
a fixed seed); `make fuzz` runs the same test with many more examples. Runs against the running
platform, like every journey here, and after them (see conftest.py).
"""

from __future__ import annotations

import itertools
import time
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response

from tests.conftest import SEED_PASSWORD, E2ESettings

FUZZ_SEED = 20261202


@pytest.fixture(scope="module")
def admin_headers(e2e: E2ESettings) -> dict[str, str]:
    """A Supabase session of the seeded admin, from the auth emulator, as the web app gets it."""
    response = httpx.post(
        f"{e2e.supabase_url}/auth/v1/token",
        params={"grant_type": "password"},
        json={"email": "admin@crowdify.test", "password": SEED_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def answered(case: schemathesis.Case, e2e: E2ESettings, headers: dict[str, str]) -> Response:
    """The case's answer, past the edge's rate limits: each request comes from an address of its
    own (the edge trusts X-Forwarded-For from this machine in development), and a 429 from a
    per-token limit (orders, tokens) is waited out with a growing pause."""
    pause = 0.1
    for attempt in itertools.count():
        address = next(ADDRESSES)
        response = case.call(
            base_url=e2e.gateway_url, headers={**headers, "X-Forwarded-For": address}, timeout=30
        )
        if response.status_code != 429 or attempt == 12:
            return response
        time.sleep(pause)
        pause = min(pause * 2, 2.0)
    raise AssertionError("unreachable")


ADDRESSES = (f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1))


def server_errors_of(
    operation: schemathesis.APIOperation, e2e: E2ESettings, headers: dict[str, str]
) -> tuple[str | None, Counter[int]]:
    """The first input that got a 5xx from ``operation`` (described) or None, and the statuses
    its cases were answered with."""
    statuses: Counter[int] = Counter()

    @seed(FUZZ_SEED)
    @settings(
        max_examples=e2e.fuzz_examples,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report the input as found: no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def call(case: schemathesis.Case) -> None:
        response = answered(case, e2e, headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error], headers=headers)

    try:
        call()
    except (FailureGroup, AssertionError) as failure:
        return f"{operation.label}: {failure}", statuses
    return None, statuses


# About 2.5 s per example across every operation on a busy 2-core machine; pytest's default
# 120 s would cut `make fuzz` short.
@pytest.mark.timeout(120 + 6 * E2ESettings().fuzz_examples)
def test_no_input_gets_a_server_error(e2e: E2ESettings, admin_headers: dict[str, str]) -> None:
    document = httpx.get(f"{e2e.gateway_url}/openapi.json", timeout=30).json()
    assert set(document["x-crowdify-services"].values()) == {"merged"}, document["x-crowdify-services"]
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    failures, rate_limited = [], []
    for operation in operations:
        found, statuses = server_errors_of(operation, e2e, admin_headers)
        if found:
            failures.append(found)
        if statuses and set(statuses) == {429}:
            rate_limited.append(operation.label)
    assert failures == [], "\n\n".join(failures)
    # A run where the edge refused everything would prove nothing.
    assert rate_limited == [], f"only 429s from: {rate_limited}"

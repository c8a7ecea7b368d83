"""The scan's own lane keeps what the rest of the API gives every request: ids, CORS, the
latency metric, problem+json answers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from opentelemetry import _logs, metrics, trace

from tests.door import Door

pytestmark = pytest.mark.integration

SCAN = "/api/v1/validation/scan"


async def test_a_scan_answers_with_its_request_id_and_cors_for_an_allowed_origin(
    door: Door, worker: Any
) -> None:
    event_id = await door.event()
    _, [(_, code)] = await door.issue(event_id)
    response = await door.client.post(
        SCAN,
        json={"qr_payload": code, "event_id": str(event_id)},
        headers={**door.headers, "X-Request-ID": "puerta-norte-1", "Origin": "http://localhost:5173"},
    )
    assert response.status_code == 200 and response.json()["result"] == "admitted"
    assert response.headers["x-request-id"] == "puerta-norte-1"
    assert response.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()

    foreign = await door.client.post(
        SCAN,
        json={"qr_payload": code, "event_id": str(event_id)},
        headers={**door.headers, "Origin": "https://elsewhere.example"},
    )
    assert foreign.status_code == 200 and foreign.json()["result"] == "already_used"
    assert "access-control-allow-origin" not in foreign.headers


async def test_scans_are_counted_under_their_route_in_the_latency_metric(door: Door, worker: Any) -> None:
    def counted(metrics: str) -> float:
        for line in metrics.splitlines():
            name, _, value = line.rpartition(" ")
            labels = (f'route="{SCAN}"', 'status="200"')
            if name.startswith("crowdify_http_request_duration_seconds_count") and all(
                label in name for label in labels
            ):
                return float(value)
        return 0.0

    before = counted((await door.client.get("/metrics")).text)
    event_id = await door.event()
    _, issued = await door.issue(event_id, 3)
    for _, code in issued:
        await door.scan(code, event_id)
    assert counted((await door.client.get("/metrics")).text) == before + 3


async def test_a_scan_looks_up_no_opentelemetry_provider(
    door: Door, worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The platform measures with its own metric and logs; FastAPI's OpenTelemetry bridge is off
    (``FASTAPI_TELEMETRY_OFF``), so no request pays for looking up providers nobody configured."""
    lookups: list[str] = []

    def counting(name: str, found: Any) -> Any:
        def lookup() -> Any:
            lookups.append(name)
            return found()

        return lookup

    for module, name in (
        (trace, "get_tracer_provider"),
        (metrics, "get_meter_provider"),
        (_logs, "get_logger_provider"),
    ):
        monkeypatch.setattr(module, name, counting(name, getattr(module, name)))
    event_id = await door.event()
    _, [(_, code)] = await door.issue(event_id)
    lookups.clear()
    assert (await door.scan(code, event_id))["result"] == "admitted"
    assert (await door.client.get("/health")).status_code == 200
    assert lookups == []


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, {"qr_payload": "x", "event_id": str(uuid.uuid4())}, 401, "unauthorized"),
        (None, b"{not json", 422, "validation_error"),
        (None, {"qr_payload": "x", "event_id": "not-a-uuid"}, 422, "validation_error"),
    ],
)
async def test_refusals_on_the_lane_are_problem_json(
    door: Door, headers: dict[str, str] | None, body: Any, status: int, code: str
) -> None:
    sent = door.headers if headers is None else headers
    if isinstance(body, bytes):
        response = await door.client.post(
            SCAN, content=body, headers={**sent, "Content-Type": "application/json"}
        )
    else:
        response = await door.client.post(SCAN, json=body, headers=sent)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code and problem["instance"] == SCAN
    assert response.headers["x-request-id"]

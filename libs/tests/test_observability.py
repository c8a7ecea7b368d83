"""Logs, request ids and metrics."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time

import httpx
from fastapi import FastAPI

from crowdify.observability import RequestContextMiddleware, configure_logging, install_metrics, middleware
from crowdify.observability.context import correlation_id_var, request_id_var, waited_on_purpose


def make_app(access_log_sample: float = 1.0) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware, access_log_sample=access_log_sample)
    install_metrics(app)

    @app.get("/hello")
    async def hello() -> dict[str, str | None]:
        logging.getLogger("test").info("inside", extra={"email": "ana@example.com"})
        return {"request_id": request_id_var.get(), "correlation_id": correlation_id_var.get()}

    return app


async def test_logs_are_json_with_ids_and_no_personal_data(capsys):
    configure_logging("test-svc", "INFO")
    stream = io.StringIO()
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get(
            "/hello", headers={"X-Request-ID": "req-1", "X-Correlation-ID": "order-9"}
        )
    assert response.json() == {"request_id": "req-1", "correlation_id": "order-9"}
    assert response.headers["x-request-id"] == "req-1"
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    inside = next(line for line in lines if line["message"] == "inside")
    assert inside["service"] == "test-svc" and inside["request_id"] == "req-1"
    assert inside["correlation_id"] == "order-9" and inside["logger"] == "test"
    assert "ana@example.com" not in stream.getvalue()
    access = next(line for line in lines if line["message"] == "request")
    assert access["route"] == "/hello" and access["status"] == 200


async def test_a_sampled_access_log_still_logs_every_error():
    configure_logging("test-svc", "INFO")
    stream = io.StringIO()
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=make_app(access_log_sample=0.0))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _ in range(20):
            assert (await client.get("/hello")).status_code == 200
        assert (await client.get("/missing")).status_code == 404
    access = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [line for line in access if line["message"] == "request"]
    assert [line["status"] for line in access] == [404]


async def test_a_wait_on_purpose_does_not_make_a_request_slow(monkeypatch):
    """An order waiting for its hold decision is not slow; a request slow by itself still is."""
    monkeypatch.setattr(middleware, "SLOW_SECONDS", 0.05)
    configure_logging("test-svc", "INFO")
    stream = io.StringIO()
    logging.getLogger().handlers[0].stream = stream  # type: ignore[attr-defined]
    app = make_app(access_log_sample=0.0)

    @app.get("/waits")
    async def waits() -> None:
        began = time.perf_counter()
        await asyncio.sleep(0.1)  # stands for the wait for another service's decision
        waited_on_purpose(time.perf_counter() - began)

    @app.get("/dawdles")
    async def dawdles() -> None:
        await asyncio.sleep(0.1)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/waits")).status_code == 200
        assert (await client.get("/dawdles")).status_code == 200
    access = [json.loads(line) for line in stream.getvalue().splitlines()]
    [logged] = [line for line in access if line["message"] == "request"]
    assert logged["route"] == "/dawdles" and logged["waited_ms"] == 0


async def test_an_unsafe_request_id_is_replaced():
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/hello", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32


async def test_request_latency_is_measured_by_route_template():
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/hello")
        metrics = await client.get("/metrics")
    assert (
        'crowdify_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/hello",status="200"}'
        in metrics.text
    )

"""Prometheus metrics shared by the services, exposed at ``/metrics``."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest

# For ``FastAPI(telemetry=...)``: the services measure and log with their own middleware
# (``REQUEST_LATENCY``, JSON access lines) and configure no OpenTelemetry provider. FastAPI's own
# bridge, on by default, would look the three providers up again on every request only to find
# none, a few microseconds on every scan and every order.
FASTAPI_TELEMETRY_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

REQUEST_LATENCY = Histogram(
    "crowdify_http_request_duration_seconds",
    "HTTP request latency by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def install_metrics(app: FastAPI) -> None:
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

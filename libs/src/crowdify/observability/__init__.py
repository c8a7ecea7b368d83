"""Logs, request and correlation ids, health and metrics, on by default in every service."""

from crowdify.observability.context import correlation_id_var, request_id_var
from crowdify.observability.health import HealthCheck, install_health_routes
from crowdify.observability.logging import configure_logging
from crowdify.observability.metrics import FASTAPI_TELEMETRY_OFF, install_metrics
from crowdify.observability.middleware import RequestContextMiddleware

__all__ = [
    "FASTAPI_TELEMETRY_OFF",
    "HealthCheck",
    "RequestContextMiddleware",
    "configure_logging",
    "correlation_id_var",
    "install_health_routes",
    "install_metrics",
    "request_id_var",
]

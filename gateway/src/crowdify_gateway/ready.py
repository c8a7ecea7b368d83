"""``GET /ready`` for the whole platform: every configured service's ``/ready``, concurrently."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import httpx

from crowdify_gateway.settings import Service

ServiceState = Literal["ready", "not_ready", "unreachable"]


async def probe(client: httpx.AsyncClient, service: Service, timeout_seconds: float) -> ServiceState:
    try:
        response = await client.get(f"{service.url}/ready", timeout=timeout_seconds)
    except (httpx.HTTPError, OSError):
        return "unreachable"
    return "ready" if response.status_code == 200 else "not_ready"


async def aggregate(
    client: httpx.AsyncClient, services: tuple[Service, ...], timeout_seconds: float
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 ``ready`` when every service is, else 503 ``degraded``."""
    states = await asyncio.gather(*(probe(client, s, timeout_seconds) for s in services))
    by_name = {service.name: state for service, state in zip(services, states, strict=True)}
    ready = all(state == "ready" for state in states)
    body = {"status": "ready" if ready else "degraded", "services": by_name}
    return (200 if ready else 503), body

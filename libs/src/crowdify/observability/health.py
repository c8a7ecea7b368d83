"""``/health`` (the process answers) and ``/ready`` (its database and broker are reachable)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.responses import JSONResponse

CheckFn = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class HealthCheck:
    name: str
    check: CheckFn
    timeout_seconds: float = 2.0


async def _run(check: HealthCheck) -> str:
    try:
        await asyncio.wait_for(check.check(), timeout=check.timeout_seconds)
    except Exception as exc:  # any failure means not ready; the reason is for operators
        return f"down: {type(exc).__name__}"
    return "ok"


def install_health_routes(app: FastAPI, service: str, checks: list[HealthCheck]) -> None:
    @app.get("/health", tags=["health"], summary="The process is alive")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/ready", tags=["health"], summary="Database and broker reachable")
    async def ready() -> JSONResponse:
        results = await asyncio.gather(*(_run(c) for c in checks))
        by_name = dict(zip((c.name for c in checks), results, strict=True))
        is_ready = all(r == "ok" for r in results)
        return JSONResponse(
            {"status": "ready" if is_ready else "degraded", "service": service, "checks": by_name},
            status_code=200 if is_ready else 503,
        )

"""Run the emulator over real HTTP inside a test process, and talk to it.

``running_emulator()`` serves a fresh emulator on a free port; ``emulator_sdk()`` is the official
``mercadopago`` SDK pointed at it (docs/integrations.md 1.4, HttpClient subclass); ``EmulatorControl``
drives the ``/__emulator/`` knobs and polls for webhook deliveries.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import mercadopago
from mercadopago.http import HttpClient

from crowdify.testing.server import serving_built
from mp_emulator.app import create_app
from mp_emulator.settings import EmulatorSettings

MP_API = "https://api.mercadopago.com"


@contextmanager
def running_emulator(**settings: Any) -> Iterator[str]:
    """A fresh emulator; yields its base URL (what MERCADOPAGO_API_BASE_URL should be set to).

    ``settings`` are further :class:`EmulatorSettings` fields (``webhook_secret=...``,
    ``retry_schedule=[]`` ...).
    """
    with serving_built(lambda url: create_app(EmulatorSettings(api_base_url=url, **settings))) as base_url:
        yield base_url


class EmulatorHttpClient(HttpClient):  # type: ignore[misc]  # the SDK ships no type hints
    """The SDK's own transport with its hard-wired base URL swapped for the emulator's."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(method, url.replace(MP_API, self.base_url, 1), *args, **kwargs)


def emulator_sdk(base_url: str, access_token: str = "TEST-emulator-access-token") -> Any:
    """``mercadopago.SDK`` talking to the emulator at ``base_url``."""
    return mercadopago.SDK(access_token, http_client=EmulatorHttpClient(base_url))


class EmulatorControl:
    """Async helpers over the ``/__emulator/`` knobs of a running emulator (raise on error answers)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def __aenter__(self) -> EmulatorControl:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._http.aclose()

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self._http.post(path, json=body or {})
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    async def pay(self, preference_id: str, status: str = "approved", **knobs: Any) -> dict[str, Any]:
        """The buyer finishes the checkout; returns ``{"payment_id", "status", ...}``."""
        return await self._post(f"/__emulator/preferences/{preference_id}/pay", {"status": status, **knobs})

    async def set_status(self, payment_id: int, status: str, **knobs: Any) -> dict[str, Any]:
        return await self._post(f"/__emulator/payments/{payment_id}/status", {"status": status, **knobs})

    async def notify_again(self, payment_id: int, **knobs: Any) -> dict[str, Any]:
        return await self._post(f"/__emulator/payments/{payment_id}/notify", knobs)

    async def configure(self, **knobs: Any) -> dict[str, Any]:
        return await self._post("/__emulator/config", knobs)

    async def outage(self, enabled: bool = True, status: int = 503, **extra: Any) -> dict[str, Any]:
        return await self._post("/__emulator/outage", {"enabled": enabled, "status": status, **extra})

    async def reset(self) -> None:
        await self._post("/__emulator/reset")

    async def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        response = await self._http.get("/__emulator/notifications", params=filters)
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()["deliveries"]
        return found

    async def wait_for_deliveries(
        self, count: int, *, within: float = 10.0, **filters: Any
    ) -> list[dict[str, Any]]:
        """Poll until ``count`` deliveries matching ``filters`` have an outcome (answered or failed)."""
        deadline = time.monotonic() + within
        while True:
            done = [d for d in await self.deliveries(**filters) if d["state"] not in ("scheduled", "sending")]
            if len(done) >= count:
                return done
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(done)} of {count} deliveries finished within {within} s")
            await asyncio.sleep(0.02)
